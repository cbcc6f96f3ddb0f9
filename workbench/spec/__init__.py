"""The experiment spec: a versioned TOML/JSON document describing data, tasks and the QMTL model."""

from workbench.spec.io import dumps, load, loads, save, spec_from_dict, spec_to_dict
from workbench.spec.model import (
    SPEC_VERSION,
    BackboneSpec,
    BlockSpec,
    DatasetSpec,
    ExperimentSpec,
    GateSpec,
    QuantumSpec,
    ReadoutSpec,
    TaskSpec,
    TrainingSpec,
)
from workbench.spec.validate import default_readout, effective_readout, validate

__all__ = [
    "SPEC_VERSION", "BackboneSpec", "BlockSpec", "DatasetSpec", "ExperimentSpec", "GateSpec", "QuantumSpec",
    "ReadoutSpec", "TaskSpec", "TrainingSpec", "default_readout", "dumps", "effective_readout", "load",
    "loads", "save", "spec_from_dict", "spec_to_dict", "validate",
]
