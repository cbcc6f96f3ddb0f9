"""glibc's allocator settings for simulation processes: huge pages, no returning memory between steps.

Why: a training step allocates and frees the same few hundred temporaries every time. With glibc's defaults,
blocks above a few hundred KiB are fresh mmaps (and the heap top is trimmed), so every step page-faults its
memory back in: at n=8, T=3, batch 1024, 12,700 page faults a step, and 44 ms a step where 20 ms is the cost of
the work (complex64; complex128 86 -> 41 ms). With 4 KiB pages the step's working set also misses the TLB: on a
virtual machine, batch 32 complex128 steps took 3-5 ms in most processes against 2.2-2.5 ms with the heap on
transparent huge pages. Measured with ``qmtl bench``'s reference workload on the 2-core machine.

- ``tune_this_process()`` sets what can be set at run time (mmap and trim thresholds, via ``mallopt``); the
  engine calls it. Huge pages for the heap can only be asked for before the process starts:
- ``allocator_env(env)`` adds them (``GLIBC_TUNABLES``) to a child process's environment: the GUI's job
  processes, sweep workers and benchmark workers (every engine's, peers' too, so the comparison is even).
  The ``qmtl`` process itself is not restarted for them (a restart would open a window in which a Ctrl-C ends
  the program with a Python start-up error instead of one line): it has the run-time part only.

``QMTL_MALLOC=system`` leaves glibc's defaults everywhere. Other platforms and C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 32 << 20  # glibc's largest: blocks below it come from the heap and are reused
TRIM_THRESHOLD = 512 << 20  # free memory kept at the heap's top before returning it to the system
TUNABLES = {"glibc.malloc.hugetlb": "1", "glibc.malloc.mmap_threshold": str(MMAP_THRESHOLD),
            "glibc.malloc.trim_threshold": str(TRIM_THRESHOLD)}
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_tuned = False


def _glibc() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError):
        return False


def enabled() -> bool:
    return os.environ.get("QMTL_MALLOC", "").strip().lower() != "system" and _glibc()


def tune_this_process() -> bool:
    """Set the run-time part of the settings once; True when they are in effect."""
    global _tuned
    if _tuned or not enabled():
        return _tuned
    try:
        libc = ctypes.CDLL(None)
        _tuned = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
            bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        _tuned = False
    return _tuned


def _merged(existing: str) -> str:
    """Our tunables added to ``existing`` ones; a tunable the user set keeps the user's value."""
    parts = [p for p in existing.split(":") if p]
    have = {p.split("=", 1)[0] for p in parts}
    return ":".join(parts + [f"{k}={v}" for k, v in TUNABLES.items() if k not in have])


def allocator_env(env: dict | None = None) -> dict:
    """A copy of ``env`` (default: this process's environment) for a child process that simulates."""
    out = dict(os.environ if env is None else env)
    if enabled():
        out["GLIBC_TUNABLES"] = _merged(out.get("GLIBC_TUNABLES", ""))
    return out
