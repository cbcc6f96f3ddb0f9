import pytest

SMALL_SPEC = """
version = 1
name = "small-synthetic"

[dataset]
source = "synthetic"
options = { tasks = 2, classes = [2, 3], samples = {samples}, features = 8, relatedness = 0.7, seed = 3 }
val_fraction = 0.2
test_fraction = 0.2

[[tasks]]
name = "task_0"
classes = 2

[[tasks]]
name = "task_1"
classes = 3

[backbone]
kind = "mlp"
hidden = [8]
width = 4

[quantum]
qubits = 4

[quantum.encoder]
template = "AngleEmbedding"

[quantum.default_block]
template = "StronglyEntanglingLayers"
layers = 1

[training]
lr = 0.05
epochs = {epochs}
batch_size = {batch}
seed = 7
"""


@pytest.fixture
def small_spec_file(tmp_path):
    def make(samples=300, epochs=3, batch=32):
        path = tmp_path / "small.toml"
        text = SMALL_SPEC.replace("{samples}", str(samples)).replace("{epochs}", str(epochs))
        path.write_text(text.replace("{batch}", str(batch)))
        return path
    return make
