"""Names the spec accepts. Kept here (not in circuits/ or engines/) so validation needs neither torch nor qiskit."""

from __future__ import annotations

ENCODERS = ("AngleEmbedding", "ReUploading", "AmplitudeEmbedding", "IQPEmbedding", "Custom")
ANSATZE = ("StronglyEntanglingLayers", "BasicEntanglerLayers", "HardwareEfficient", "Custom")

# gate name -> (number of wires or None for "one or more", number of angles)
GATES: dict[str, tuple[int | None, int]] = {
    "RX": (1, 1), "RY": (1, 1), "RZ": (1, 1), "Rot": (1, 3), "PhaseShift": (1, 1),
    "H": (1, 0), "X": (1, 0), "Y": (1, 0), "Z": (1, 0), "S": (1, 0), "T": (1, 0),
    "CNOT": (2, 0), "CZ": (2, 0), "SWAP": (2, 0),
    "CRX": (2, 1), "CRY": (2, 1), "CRZ": (2, 1),
    "MultiRZ": (None, 1),
}
PALETTE_GATES = ("RX", "RY", "RZ", "Rot", "H", "X", "Z", "CNOT", "CZ", "CRX", "CRY", "CRZ", "SWAP")
ROTATION_AXES = ("X", "Y", "Z")
ROTATION_GATES = ("RX", "RY", "RZ")
ENTANGLERS = ("CNOT", "CZ")
ENTANGLEMENTS = ("linear", "ring", "full", "none")
READOUTS = ("expval", "probs", "pauli")
PAULI_OPS = ("X", "Y", "Z")
BINARY_READOUTS = ("two-logit", "single-logit")
REGRESSION_MAPPINGS = ("linear", "tanh")
TASK_KINDS = ("classification", "regression")
LAYOUTS = ("shared", "registers")
BACKBONES = ("mlp", "identity")
ACTIVATIONS = ("tanh", "relu", "gelu", "sigmoid")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("none", "cosine", "step")
LOSS_WEIGHTINGS = ("fixed", "uncertainty")
BASELINES = ("hps", "hybrid", "single")
DTYPES = ("complex64", "complex128")
DEVICES = ("cpu", "cuda")
# Engines that the spec may name; engines/ registers the implementations under the same names.
ENGINES = ["torch", "default.qubit", "lightning.qubit", "default.mixed", "density"]
