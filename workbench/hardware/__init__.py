"""IBM Quantum hardware through qiskit-ibm-runtime V2 primitives (Qt-free core).

- ``account``: the IBM account in the OS keyring, or Qiskit's account file (0600) where no keyring works.
- ``redact``: keeps tokens out of everything printed, logged or stored.
- ``service``: IBM's service or local testing mode (fake backends), backends with qubits and queue lengths.
- ``circuits``: generic work items (parametrised circuit + observables or measurements + value arrays), one
  transpile per task circuit.
- ``preflight``: depth, two-qubit gates, circuits x shots, bindings and estimated QPU seconds before submitting.
- ``execute``: EstimatorV2/SamplerV2 in job, batch or session mode; job ids stored at once; wait with a
  deadline; cancel; reattach.
- ``finetune``: SPSA or parameter-shift fine-tuning, one job per step.
- ``qmtl``: a trained QMTL run end to end (circuits from ``workbench.circuits.export_qiskit``).

Importing this package does not import Qiskit's runtime; the submodules do.
"""

from workbench.hardware.errors import HardwareError
from workbench.hardware.redact import install_log_redaction, redact, register_secret

__all__ = ["HardwareError", "install_log_redaction", "redact", "register_secret"]
