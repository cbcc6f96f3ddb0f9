"""The trainer's optimizers (Adam, AdamW, SGD with momentum) and learning-rate schedules (cosine, step).

Why not ``torch.optim``: constructing or stepping any torch optimizer imports ``torch._dynamo`` (its methods are
wrapped to disable the compiler), about 1.3 s of CPU and 900 modules, a sixth of a ``qmtl train`` of the demo.
These follow torch's update rules line for line (its single-tensor CPU path: same operations in the same order,
so the same floating-point results) and read and write torch's ``state_dict`` layout, so checkpoints written by
either load in both. ``tests/core/test_optim.py`` checks them against ``torch.optim`` step by step.
"""

from __future__ import annotations

import math

import torch


class _Optimizer:
    defaults: dict = {}

    def __init__(self, params, **hyper):
        self.params = [p for p in params]
        self.param_groups = [{**self.defaults, **hyper, "params": self.params}]
        self.state: dict[int, dict] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.detach_().zero_()

    def state_dict(self) -> dict:
        group = {k: v for k, v in self.param_groups[0].items() if k != "params"}
        return {"state": {i: dict(s) for i, s in self.state.items()},
                "param_groups": [{**group, "params": list(range(len(self.params)))}]}

    def load_state_dict(self, state: dict) -> None:
        groups = state["param_groups"]
        if len(groups) != 1 or len(groups[0]["params"]) != len(self.params):
            raise ValueError(f"optimizer state for {sum(len(g['params']) for g in groups)} parameters, "
                             f"the model has {len(self.params)}")
        self.param_groups[0].update({k: v for k, v in groups[0].items() if k != "params"})
        self.state = {}
        for i, s in state["state"].items():
            p = self.params[int(i)]
            self.state[int(i)] = {k: (v.detach().to(device=p.device, dtype=p.dtype if k != "step" else v.dtype,
                                                    copy=True) if isinstance(v, torch.Tensor) else v)
                                  for k, v in s.items()}


class Adam(_Optimizer):
    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                "maximize": False, "foreach": None, "capturable": False, "differentiable": False, "fused": None,
                "decoupled_weight_decay": False}

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.0):
        super().__init__(params, lr=lr, weight_decay=weight_decay)

    @torch.no_grad()
    def step(self) -> None:
        g = self.param_groups[0]
        lr, (beta1, beta2), eps, wd = g["lr"], g["betas"], g["eps"], g["weight_decay"]
        for i, param in enumerate(self.params):
            if param.grad is None:
                continue
            grad = param.grad
            s = self.state.get(i)
            if s is None:
                s = self.state[i] = {"step": torch.tensor(0.0), "exp_avg": torch.zeros_like(param),
                                     "exp_avg_sq": torch.zeros_like(param)}
            s["step"] += 1
            if wd != 0:
                if g["decoupled_weight_decay"]:
                    param.mul_(1 - lr * wd)
                else:
                    grad = grad.add(param, alpha=wd)
            exp_avg, exp_avg_sq = s["exp_avg"], s["exp_avg_sq"]
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = s["step"].item()
            step_size = lr / (1 - beta1**step)
            denom = (exp_avg_sq.sqrt() / (1 - beta2**step) ** 0.5).add_(eps)
            param.addcdiv_(exp_avg, denom, value=-step_size)


class AdamW(Adam):
    defaults = {**Adam.defaults, "decoupled_weight_decay": True}


class SGD(_Optimizer):
    defaults = {"lr": 1e-3, "momentum": 0.0, "dampening": 0, "weight_decay": 0.0, "nesterov": False,
                "maximize": False, "foreach": None, "differentiable": False, "fused": None}

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr=lr, momentum=momentum, weight_decay=weight_decay)

    @torch.no_grad()
    def step(self) -> None:
        g = self.param_groups[0]
        lr, momentum, wd, dampening = g["lr"], g["momentum"], g["weight_decay"], g["dampening"]
        for i, param in enumerate(self.params):
            if param.grad is None:
                continue
            grad = param.grad
            if wd != 0:
                grad = grad.add(param, alpha=wd)
            if momentum != 0:
                s = self.state.setdefault(i, {})
                buf = s.get("momentum_buffer")
                if buf is None:
                    buf = s["momentum_buffer"] = torch.clone(grad).detach()
                else:
                    buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                grad = buf
            param.add_(grad, alpha=-lr)


class _Schedule:
    """Sets the optimizer's learning rate from the epoch count; ``step()`` once per epoch."""

    def __init__(self, opt: _Optimizer):
        self.opt = opt
        self.base_lrs = [opt.param_groups[0]["lr"]]
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self.opt.param_groups[0]["lr"] = self.lr_at(self.last_epoch)

    def state_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k != "opt"}

    def load_state_dict(self, state: dict) -> None:  # torch's schedulers' dicts carry these keys too
        for k in self.state_dict():
            if k in state:
                setattr(self, k, state[k])


class CosineAnnealing(_Schedule):
    def __init__(self, opt: _Optimizer, T_max: int, eta_min: float = 0.0):
        super().__init__(opt)
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lrs[0] - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class StepDecay(_Schedule):
    def __init__(self, opt: _Optimizer, step_size: int, gamma: float):
        super().__init__(opt)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lrs[0] * self.gamma ** (epoch // self.step_size)
