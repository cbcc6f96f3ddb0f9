"""Engines that execute the QMTL program: fast torch statevector (default) and PennyLane devices."""
