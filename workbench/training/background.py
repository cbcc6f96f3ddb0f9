"""Training as a background job (``workbench.jobs``): the body the GUI runs in its warm worker process.

Events of the core's ``Trainer`` go back as yielded values, in order; the front end's words pause, resume and
cancel it between steps (a cancelled run stays resumable from its last epoch checkpoint).
"""

from __future__ import annotations

import os

SMALL_QUBITS = 10  # up to 2**10 amplitudes torch's per-op overhead dominates: more threads only add contention


def worker_threads(spec) -> int:
    """Torch threads for a training next to a GUI: 1 for small circuits (extra threads would fight the GUI for
    the cores and gain nothing), otherwise every core but one."""
    if spec is None or spec.quantum.qubits <= SMALL_QUBITS:
        return 1
    return max(1, (os.cpu_count() or 2) - 1)


def warm_up() -> None:
    """What the first training in a process would pay for before its first step: the first forward and backward
    pass through the kernels a training uses (complex state vectors, real heads, cross entropy) initialise them.
    Run by the warm worker process while it waits. (The trainer's optimizers are its own, training/optim.py:
    torch's import its compiler stack, ~900 modules, on first use.)"""
    import torch

    from workbench.training.optim import Adam

    w = torch.nn.Parameter(torch.randn(16, 4))
    opt = Adam([w])
    state = torch.randn(8, 16, dtype=torch.complex64)
    probs = (state @ torch.randn(16, 16, dtype=torch.complex64)).abs() ** 2
    loss = torch.nn.functional.cross_entropy(probs @ w, torch.zeros(8, dtype=torch.long))
    loss.backward()
    opt.step()


def devices(ctx) -> list[str]:
    """Where torch can train in this installation."""
    import torch

    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def train_job(ctx, *, kwargs: dict, root: str, spec: str | None = None, resume: str | None = None,
              threads: int | None = None) -> dict:
    """Train ``spec`` (TOML text) with the ``Trainer`` keyword arguments ``kwargs``, or continue run ``resume``;
    returns ``TrainResult.as_dict()``."""
    import torch

    from workbench.runs import RunStore
    from workbench.spec import loads
    from workbench.training.control import TrainControl
    from workbench.training.events import EventBus
    from workbench.training.session import TrainingSession
    from workbench.training.trainer import Trainer

    store = RunStore(root)
    control = TrainControl()
    actions = {"pause": control.pause, "resume": control.resume, "cancel": control.cancel}
    ctx.on_word(lambda word: actions.get(word, lambda: None)())
    if ctx.cancelled:
        control.cancel()
    bus = EventBus()
    bus.subscribe(ctx.yield_)
    if resume:
        trainer = TrainingSession(kwargs, store, resume_run=resume).trainer
    else:
        trainer = Trainer(loads(spec, "toml", "the workbench"), store, **kwargs)
    trainer.bus, trainer.control = bus, control
    previous = torch.get_num_threads()
    torch.set_num_threads(threads or worker_threads(trainer.spec))
    try:
        return trainer.run().as_dict()
    finally:
        torch.set_num_threads(previous)
