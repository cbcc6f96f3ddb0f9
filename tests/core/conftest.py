import pytest

from workbench.spec.examples import small_synthetic_text


@pytest.fixture
def small_spec_file(tmp_path):
    def make(samples=300, epochs=3, batch=32):
        path = tmp_path / "small.toml"
        path.write_text(small_synthetic_text(samples=samples, epochs=epochs, batch=batch))
        return path
    return make
