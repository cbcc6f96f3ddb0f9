"""Opening IBM Quantum (or local testing mode), listing backends with their queues, finding jobs.

``connect(account, local=..., factory=...)`` is the one place a ``QiskitRuntimeService`` is made. Whatever its
construction raises (a rejected token, no network, a malformed CRN, which runtime 0.51 reports as an
``AttributeError``) comes back as a one-line ``HardwareError`` with a status, never as a traceback, and never
with the token in it. ``factory`` is injectable so that tests can make the service fail on purpose.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from workbench.hardware.account import Account
from workbench.hardware.errors import HardwareError, describe

ServiceFactory = Callable[[Account], Any]

_OPENING_NOTES: dict[str, list[str]] = {}  # fake backend -> what building it first warned


def default_factory(account: Account):
    from qiskit_ibm_runtime import QiskitRuntimeService

    return QiskitRuntimeService(channel=account.channel, token=account.token, instance=account.instance,
                                region=account.region)


def _is_network_error(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        mod = type(exc).__module__
        if isinstance(exc, ConnectionError | TimeoutError) or mod.startswith(("requests", "urllib3")):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _is_account_error(exc: BaseException) -> bool:
    names = {c.__name__ for c in type(exc).__mro__}
    return bool(names & {"IBMNotAuthorizedError", "IBMAccountError", "AccountsError", "InvalidAccountError",
                         "AccountNotFoundError"})


def service_error(exc: BaseException, what: str) -> HardwareError:
    """A failure talking to IBM Quantum as a status + one line (token-free)."""
    if _is_network_error(exc):
        return HardwareError("network", f"network: cannot reach IBM Quantum while {what} ({describe(exc)}); "
                                        "check the connection, or use --local for the fake backends")
    if _is_account_error(exc):
        return HardwareError("account", f"account: IBM Quantum did not accept the account while {what} "
                                        f"({describe(exc)}); check the token and instance "
                                        "(qmtl hardware account set)")
    return HardwareError("service", f"service: IBM Quantum failed while {what} ({describe(exc)})")


@dataclass(frozen=True)
class BackendInfo:
    name: str
    num_qubits: int
    pending_jobs: int | None
    operational: bool | None
    two_qubit_gates: tuple[str, ...]
    local: bool
    status_msg: str = ""

    def as_dict(self) -> dict:
        d = asdict(self)
        d["two_qubit_gates"] = list(self.two_qubit_gates)
        return d


_TWO_QUBIT_NAMES = {"cx", "cz", "ecr", "rzz", "iswap", "swap", "cy", "ch", "rxx", "ryy", "rzx", "cp", "crx", "cry",
                    "crz"}


def two_qubit_gates(backend) -> tuple[str, ...]:
    """The two-qubit basis gates, from the configuration when there is one (building a 156-qubit target just
    to list its gates costs a tenth of a second per backend)."""
    try:
        names = backend.configuration().basis_gates
        return tuple(sorted(n for n in names if n in _TWO_QUBIT_NAMES))
    except Exception:  # no configuration: ask the target
        pass
    try:
        target = backend.target
        return tuple(sorted(name for name in target.operation_names
                            if getattr(target.operation_from_name(name), "num_qubits", 0) == 2))
    except Exception:  # backends without a target (none today) simply show no gates
        return ()


def num_qubits(backend) -> int:
    """From the configuration when there is one: ``BackendV2.num_qubits`` builds the whole target first."""
    try:
        return int(backend.configuration().n_qubits)
    except Exception:  # no configuration
        return int(backend.num_qubits)


def backend_info(backend, local: bool) -> BackendInfo:
    pending = operational = None
    msg = ""
    try:
        st = backend.status()
        pending, operational, msg = int(st.pending_jobs), bool(st.operational), str(st.status_msg or "")
    except Exception as exc:
        msg = f"status unavailable ({describe(exc)})"
    return BackendInfo(backend.name, num_qubits(backend), pending, operational, two_qubit_gates(backend),
                       local, msg)


class Provider:
    """The service a hardware run talks to: IBM's (``local=False``) or local testing mode's fake backends."""

    def __init__(self, service, local: bool, account: Account | None = None):
        self.service = service
        self.local = local
        self.channel = "local" if local else (account.channel if account else "?")
        self._backends: dict[str, Any] = {}
        # backend name -> what opening it said; per backend, since listing opens every fake device
        self._notes: dict[str, list[str]] = {}

    def __repr__(self) -> str:  # never the service object itself: it holds the token
        return f"Provider(channel={self.channel!r}, local={self.local})"

    def backends(self, min_qubits: int | None = None) -> list[BackendInfo]:
        if self.local:
            found = []
            for name in fake_backend_classes():
                b = self.backend(name)
                if not min_qubits or num_qubits(b) >= min_qubits:
                    found.append(b)
        else:
            try:
                found = self.service.backends(min_num_qubits=min_qubits) if min_qubits else self.service.backends()
            except Exception as exc:
                raise service_error(exc, "listing backends") from None
        infos = [backend_info(b, self.local) for b in found]
        return sorted(infos, key=lambda b: (b.num_qubits, b.name))

    def backend(self, name: str):
        if not name or not str(name).strip():
            raise HardwareError("input", "--backend: no backend name given")
        key = _canonical(name, self.local)
        if key in self._backends:
            return self._backends[key]
        if self.local:
            cls = fake_backend_classes().get(key)
            if cls is None:
                raise HardwareError("backend", f"--backend: no fake backend {name!r} in local testing mode (list "
                                               "them with: qmtl hardware backends --local)")
            with warnings.catch_warnings(record=True) as caught:  # e.g. fake_nighthawk's "not typical" warning
                warnings.simplefilter("always")
                backend = cls()
            notes = [f"{key}: {w.message}" for w in caught]
            # some fake devices warn only the first time one is built in a process: keep what the first said
            self._notes[key] = _OPENING_NOTES.setdefault(key, notes) if notes else _OPENING_NOTES.get(key, [])
            self._backends[key] = backend
            return backend
        try:
            backend = self.service.backend(key)
        except Exception as exc:
            names = {c.__name__ for c in type(exc).__mro__}
            if "QiskitBackendNotFoundError" in names:
                hint = "qmtl hardware backends --local" if self.local else "qmtl hardware backends"
                raise HardwareError("backend", f"--backend: no backend {name!r} on {self.channel} "
                                               f"(list them with: {hint})") from None
            raise service_error(exc, f"opening backend {key}") from None
        self._backends[key] = backend
        return backend

    def notes_for(self, name: str) -> list[str]:
        """What opening backend ``name`` said (a fake device's warning): for that backend's pre-flight only."""
        return list(self._notes.get(_canonical(name, self.local), []))

    def job(self, job_id: str):
        if self.local:
            raise HardwareError("lost", f"job {job_id}: local testing mode keeps jobs only inside the process "
                                        "that ran them", job_id=job_id)
        try:
            return self.service.job(job_id)
        except Exception as exc:
            raise service_error(exc, f"looking up job {job_id}") from None


def fake_backend_classes() -> dict[str, type]:
    """Local testing mode's fake backends by name, found without instantiating the 68 of them."""
    import qiskit_ibm_runtime.fake_provider as fp
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    out: dict[str, type] = {}
    for attr in sorted(dir(fp)):
        obj = getattr(fp, attr)
        if isinstance(obj, type) and issubclass(obj, FakeBackendV2) and getattr(obj, "backend_name", None):
            out.setdefault(obj.backend_name, obj)
    return dict(sorted(out.items()))


def _canonical(name: str, local: bool) -> str:
    """Fake backends answer to 'fake_manila' and also to 'FakeManilaV2' or 'manila' in local mode."""
    n = name.strip()
    if not local:
        return n
    low = n.lower()
    if low.startswith("fake") and not low.startswith("fake_"):  # a class name: FakeManilaV2 -> fake_manila
        low = "fake_" + low[4:]
        if low.endswith("v2"):
            low = low[:-2]
    if not low.startswith("fake_"):
        low = "fake_" + low
    return low


def connect(account: Account | None = None, *, local: bool = False,
            factory: ServiceFactory | None = None) -> Provider:
    """IBM Quantum with ``account``; local testing mode when ``local`` is set or no account exists."""
    if local or account is None:
        from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService

        return Provider(QiskitRuntimeLocalService(), True)
    try:
        service = (factory or default_factory)(account)
    except HardwareError:
        raise
    except Exception as exc:
        raise service_error(exc, f"opening the {account.channel} service") from None
    return Provider(service, False, account)
