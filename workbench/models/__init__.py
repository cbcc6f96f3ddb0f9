"""Torch modules: backbone, QMTL head and the classical / hybrid / per-task-VQC baselines."""

from workbench.models.heads import HEADS, HPSHeads, HybridHead, QMTLHead, SingleVQCHeads, make_head
from workbench.models.model import MultiTaskModel, build_model
from workbench.models.readout import readout_logits

__all__ = ["HEADS", "HPSHeads", "HybridHead", "MultiTaskModel", "QMTLHead", "SingleVQCHeads", "build_model",
           "make_head", "readout_logits"]
