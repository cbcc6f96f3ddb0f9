"""Circuit IR, template expansion, resource counts (and, later, exports)."""

from workbench.circuits.ir import Block, Gate, Param, QMTLProgram, Readout, TaskCircuit
from workbench.circuits.program import build_program
from workbench.circuits.resources import ProgramResources, Resources, block_resources, program_resources

__all__ = ["Block", "Gate", "Param", "ProgramResources", "QMTLProgram", "Readout", "Resources", "TaskCircuit",
           "block_resources", "build_program", "program_resources"]
