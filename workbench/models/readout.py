"""Map raw readout values (expectations or probabilities) to class logits, or to a regression prediction."""

from __future__ import annotations

import torch

from workbench.circuits.ir import Readout

_EPS = 1e-9


def _scaled(raw: torch.Tensor, r: Readout) -> torch.Tensor:
    if r.scales:
        return raw * torch.tensor(r.scales, dtype=raw.dtype, device=raw.device)
    return raw * r.scale


def readout_logits(raw: torch.Tensor, r: Readout) -> torch.Tensor:
    if r.regression:
        # one value mapped onto the target range: 0.5 + 0.5 tanh(v) (the authors' STS-B head) or 0.5 + 0.5 v
        v = _scaled(raw[..., :1], r)
        unit = 0.5 + 0.5 * (torch.tanh(v) if r.tanh else v)
        lo, hi = r.target_range
        return lo + (hi - lo) * unit
    if r.kind in ("expval", "pauli"):
        if r.classes == 2 and raw.shape[-1] == 1:
            v = _scaled(raw, r)[..., 0]
            if r.single_logit:
                # one logit z for class 1 (binary cross-entropy with logits); as the pair [0, z] the softmax of the
                # two is exactly sigmoid(z), so argmax and class-logit consumers need no special case
                return torch.stack((torch.zeros_like(v), v), dim=-1)
            # one <Z> for two classes: p(class 0) = sigmoid(scale * <Z>)
            z = v / 2
            return torch.stack((z, -z), dim=-1)
        return _scaled(raw, r)
    # basis state c <-> class c; states beyond the classes are left out, so softmax renormalises
    return torch.log(raw[..., : r.classes] + _EPS)
