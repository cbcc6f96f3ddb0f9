"""Example budgets of the hypothesis suites: a few thousand in CI; ``QMTL_FUZZ_SCALE=20`` (or more) for a long
hunt. Deadlines are off: the machine is shared and a slow example is not a failure (time is bounded by the
examples' own limits, checked in the corpus test)."""

import os

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("QMTL_FUZZ_SCALE", "1") or 1))


def budget(n: int):
    return settings(max_examples=n * SCALE, deadline=None, derandomize=SCALE == 1,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
