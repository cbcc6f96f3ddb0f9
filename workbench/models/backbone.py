"""The shared backbone: input features -> shared representation h of width d."""

from __future__ import annotations

from torch import nn

from workbench.spec.model import BackboneSpec

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}


def make_backbone(spec: BackboneSpec, in_features: int) -> nn.Module:
    if spec.kind == "identity":
        return nn.Identity()
    layers: list[nn.Module] = []
    width = in_features
    for h in list(spec.hidden) + [spec.width]:
        layers += [nn.Linear(width, h), _ACTIVATIONS[spec.activation]()]
        width = h
    return nn.Sequential(*layers)
