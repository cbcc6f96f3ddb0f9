"""The dataset section of a spec checked on its own, before any data is read or generated.

``params`` and ``export`` never load data, so a bad seed, sample count or source must be caught here, with the
spec, not only when ``train`` gets to it.
"""

from __future__ import annotations

from workbench.data.dataset import DataError
from workbench.data.load import source_names
from workbench.data.synthetic import synthetic_settings
from workbench.errors import SpecError
from workbench.spec import bounds as B
from workbench.textsafe import shown

MAX_PCA = 4096


def check_dataset_spec(d) -> None:
    """Raise SpecError naming the ``dataset.*`` field that cannot work."""
    if not isinstance(d.source, str) or d.source.strip().lower() not in source_names():
        raise SpecError("dataset.source", f"unknown data source {shown(d.source)} "
                                          f"(valid: {', '.join(source_names())})")
    source = d.source.strip().lower()
    B.check_int("dataset.seed", d.seed, 0, B.MAX_SEED)
    for key in ("val_fraction", "test_fraction"):
        B.check_float(f"dataset.{key}", getattr(d, key), 0.0, 1.0)
    if d.max_samples is not None:
        B.check_int("dataset.max_samples", d.max_samples, 2, B.MAX_SAMPLES)
    if d.pca is not None:
        B.check_int("dataset.pca", d.pca, 1, MAX_PCA)
    if d.path is not None:
        B.check_text("dataset.path", d.path, 4096)
    for key in ("features", "labels"):
        value = getattr(d, key)
        names = [value] if isinstance(value, str) else (value or [])
        for i, name in enumerate(names):
            B.check_text(f"dataset.{key}[{i}]", name, 1000)
    if source == "synthetic":
        try:
            synthetic_settings(d.options)
        except DataError as exc:
            raise SpecError("dataset.options", str(exc).removeprefix("synthetic: ")) from None
