"""Choosing an experiment's data: the data panel, the File > New dialog and the off-thread data check."""
