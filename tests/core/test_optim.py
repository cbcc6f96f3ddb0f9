"""The trainer's optimizers and schedules follow torch.optim step by step, and read and write its state layout."""

import copy

import pytest
import torch

from workbench.training import optim


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))


def _grads(model, k):
    g = torch.Generator().manual_seed(k)
    x = torch.randn(8, 5, generator=g)
    loss = model(x).square().sum()
    if k % 3 == 2:  # a step where one parameter has no gradient
        loss = loss + 0 * model[0].weight.sum()
    loss.backward()
    if k % 3 == 2:
        model[2].bias.grad = None


CASES = [
    (lambda p: torch.optim.Adam(p, lr=0.03), lambda p: optim.Adam(p, lr=0.03)),
    (lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1), lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1)),
    (lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1)),
    (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
     lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01)),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_steps_equal_torch_optim(case):
    make_torch, make_ours = CASES[case]
    a, b = _model(), _model()
    ta, ob = make_torch(list(a.parameters())), make_ours(list(b.parameters()))
    for k in range(12):
        for model, opt in ((a, ta), (b, ob)):
            opt.zero_grad(set_to_none=True)
            _grads(model, k)
            opt.step()
        for pa, pb in zip(a.parameters(), b.parameters()):
            assert torch.equal(pa, pb), f"step {k}"
    # checkpoints cross over: torch's state into ours and ours into torch, then both keep stepping alike
    c, d = _model(), _model()
    c.load_state_dict(a.state_dict())
    d.load_state_dict(b.state_dict())
    oc, td = make_ours(list(c.parameters())), make_torch(list(d.parameters()))
    oc.load_state_dict(copy.deepcopy(ta.state_dict()))  # as read back from a checkpoint file
    td.load_state_dict(copy.deepcopy(ob.state_dict()))
    for k in range(12, 16):
        for model, opt in ((c, oc), (d, td), (a, ta)):
            opt.zero_grad(set_to_none=True)
            _grads(model, k)
            opt.step()
    for pa, pc, pd in zip(a.parameters(), c.parameters(), d.parameters()):
        assert torch.equal(pa, pc) and torch.equal(pa, pd)


@pytest.mark.parametrize("kind", ["cosine", "step"])
def test_schedules_follow_torch(kind):
    p = [torch.nn.Parameter(torch.zeros(2))]
    ta, ob = torch.optim.Adam(p, lr=0.03), optim.Adam(p, lr=0.03)
    if kind == "cosine":
        ts, os_ = torch.optim.lr_scheduler.CosineAnnealingLR(ta, T_max=30), optim.CosineAnnealing(ob, T_max=30)
    else:
        ts, os_ = torch.optim.lr_scheduler.StepLR(ta, step_size=10, gamma=0.3), optim.StepDecay(ob, 10, 0.3)
    for epoch in range(30):
        ta.step()
        ts.step()
        os_.step()
        assert ob.param_groups[0]["lr"] == pytest.approx(ta.param_groups[0]["lr"], rel=1e-12, abs=1e-15), epoch
        if epoch == 11:  # a torch scheduler's state resumes ours where it stopped
            resumed = optim.CosineAnnealing(ob, T_max=1) if kind == "cosine" else optim.StepDecay(ob, 1, 0.5)
            resumed.load_state_dict(ts.state_dict())
            os_ = resumed
