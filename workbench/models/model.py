"""Backbone + head as one torch module, with its parameters counted per part."""

from __future__ import annotations

import torch
from torch import nn

from workbench.models.backbone import make_backbone
from workbench.models.heads import make_head
from workbench.spec.model import ExperimentSpec


class MultiTaskModel(nn.Module):
    def __init__(self, backbone: nn.Module, head: nn.Module, head_kind: str):
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.head_kind = head_kind

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.head(self.backbone(x))

    def parameter_report(self) -> dict:
        tasks = self.head.task_counts()
        shared = self.head.shared_count()
        backbone = sum(p.numel() for p in self.backbone.parameters())
        return {"backbone": backbone, "shared_head": shared, "task_heads": tasks,
                "head_total": shared + sum(tasks.values()), "total": backbone + shared + sum(tasks.values())}


def build_model(spec: ExperimentSpec, in_features: int, head: str = "qmtl", *, engine: str | None = None,
                device: str = "cpu", seed: int | None = None) -> MultiTaskModel:
    """The model a run trains. ``in_features`` is the data's width; h has ``spec.backbone.width`` unless the
    backbone is the identity, when h is the data itself."""
    if seed is not None:
        torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    d = in_features if spec.backbone.kind == "identity" else spec.backbone.width
    backbone = make_backbone(spec.backbone, in_features)
    return MultiTaskModel(backbone, make_head(head, spec, d, engine=engine, device=device, generator=generator),
                          head).to(device)
