"""Map raw readout values (expectations or probabilities) to class logits."""

from __future__ import annotations

import torch

from workbench.circuits.ir import Readout

_EPS = 1e-9


def readout_logits(raw: torch.Tensor, r: Readout) -> torch.Tensor:
    if r.kind == "expval":
        if r.classes == 2 and raw.shape[-1] == 1:
            # one <Z> for two classes: p(class 0) = sigmoid(scale * <Z>)
            z = raw[..., 0] * (r.scale / 2)
            return torch.stack((z, -z), dim=-1)
        return raw * r.scale
    # basis state c <-> class c; states beyond the classes are left out, so softmax renormalises
    return torch.log(raw[..., : r.classes] + _EPS)
