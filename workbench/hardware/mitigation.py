"""Error-mitigation and suppression settings, turned into runtime 0.51 primitive options.

Field names are those of ``EstimatorOptions``/``SamplerOptions`` in qiskit-ibm-runtime 0.51:
``resilience_level`` (0 none, 1 TREX readout mitigation, 2 adds gate twirling and ZNE),
``resilience.measure_mitigation``, ``resilience.zne_mitigation`` + ``resilience.zne.noise_factors``,
``dynamical_decoupling.enable`` + ``.sequence_type``, ``twirling.enable_gates``. SamplerV2 has no
resilience options: only DD and twirling reach it. Local testing mode ignores all of them and says so in
warnings, which ``capture_warnings`` collects so the run can report them instead of hiding them.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from workbench.errors import UserError

DD_SEQUENCES = ("XX", "XpXm", "XY4")
SERVICE_DEFAULT_LEVEL = 1  # EstimatorV2's resilience level when none is set


@dataclass(frozen=True)
class Mitigation:
    resilience_level: int | None = None  # None: the service's default (1 for EstimatorV2)
    measure_mitigation: bool | None = None
    zne: bool = False
    zne_noise_factors: tuple[float, ...] = (1.0, 3.0, 5.0)
    dd: bool = False
    dd_sequence: str = "XpXm"
    gate_twirling: bool | None = None

    def check(self) -> Mitigation:
        if self.resilience_level is not None and self.resilience_level not in (0, 1, 2):
            raise UserError(f"--resilience-level: must be 0, 1 or 2, got {self.resilience_level}")
        if self.dd_sequence not in DD_SEQUENCES:
            raise UserError(f"--dd-sequence: unknown sequence {self.dd_sequence!r} (valid: {', '.join(DD_SEQUENCES)})")
        if not self.zne_noise_factors or any(f < 1 for f in self.zne_noise_factors):
            raise UserError(f"--zne-factors: noise factors must be >= 1, got {list(self.zne_noise_factors)}")
        return self

    @property
    def level(self) -> int:
        return SERVICE_DEFAULT_LEVEL if self.resilience_level is None else self.resilience_level

    @property
    def zne_on(self) -> bool:
        return self.zne or (self.resilience_level == 2)

    @property
    def trex_on(self) -> bool:
        return self.measure_mitigation if self.measure_mitigation is not None else self.level >= 1

    def estimator_options(self, shots: int, seed: int | None = None) -> dict:
        opts: dict = {"default_shots": int(shots)}
        if self.resilience_level is not None:
            opts["resilience_level"] = self.resilience_level
        resilience: dict = {}
        if self.measure_mitigation is not None:
            resilience["measure_mitigation"] = self.measure_mitigation
        if self.zne:
            resilience["zne_mitigation"] = True
            resilience["zne"] = {"noise_factors": list(self.zne_noise_factors)}
        if resilience:
            opts["resilience"] = resilience
        self._suppression(opts)
        if seed is not None:
            opts["simulator"] = {"seed_simulator": int(seed)}
        return opts

    def sampler_options(self, shots: int, seed: int | None = None) -> dict:
        opts: dict = {"default_shots": int(shots)}
        self._suppression(opts)
        if seed is not None:
            opts["simulator"] = {"seed_simulator": int(seed)}
        return opts

    def _suppression(self, opts: dict) -> None:
        if self.dd:
            opts["dynamical_decoupling"] = {"enable": True, "sequence_type": self.dd_sequence}
        if self.gate_twirling is not None:
            opts["twirling"] = {"enable_gates": self.gate_twirling}

    def sampler_notes(self) -> list[str]:
        """Settings that cannot reach SamplerV2 (probability readouts), said once instead of dropped silently."""
        notes = []
        if self.resilience_level not in (None, 0) or self.zne or self.measure_mitigation:
            notes.append("SamplerV2 has no resilience options: --resilience-level/--zne/measurement mitigation "
                         "apply to <Z> readouts only (probability readouts get DD/twirling only)")
        return notes

    def as_dict(self) -> dict:
        d = asdict(self)
        d["zne_noise_factors"] = list(self.zne_noise_factors)
        d["effective_level"] = self.level
        return d


@contextmanager
def capture_warnings(sink: list[str]):
    """Collect warnings raised inside (as one-line strings, deduplicated) instead of printing them.

    Runtime's own DeprecationWarning for EstimatorV2/SamplerV2 (deprecated in 0.50 in favour of the
    Executor-based primitives) is kept as well, so it shows up in the report instead of the terminal.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield sink
        finally:
            for w in caught:
                text = f"{w.category.__name__}: {' '.join(str(w.message).split())}"
                text = text if len(text) <= 300 else text[:297] + "..."
                if text not in sink:
                    sink.append(text)


def ignored_in_local_mode(messages: list[str]) -> list[str]:
    """The warnings that say local testing mode ignored a setting."""
    return [m for m in messages if "no effect in local testing mode" in m]
