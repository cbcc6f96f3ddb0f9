"""The code view: a task's circuit as OpenQASM 3 and as a PennyLane script, kept in step with the composer; the
task block's QASM can be edited and applied back as one undoable command; File > Export writes the code files."""
