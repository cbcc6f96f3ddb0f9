"""Fake runs (plausible curves, no training) and the benchmark's small experiment, for tests, benchmarks and
screenshots. No Qt here; nothing in the application itself uses it."""

from __future__ import annotations

import zlib


def bench_spec_text(samples: int = 600, epochs: int = 4, batch: int = 16, seed: int = 7) -> str:
    from workbench.spec.examples import small_synthetic_text

    return small_synthetic_text(samples=samples, epochs=epochs, batch=batch, seed=seed, name="bench-synthetic")


def make_fake_run(store, name: str, *, seed: int = 0, epochs: int = 10, steps: int = 0, head: str = "qmtl",
                  spec_text: str | None = None, status: str = "finished", tasks=("task_0", "task_1"),
                  offset: float = 0.0, tags=()) -> str:
    """A run in the store with plausible curves but no training (tests, benchmarks, screenshots)."""
    import numpy as np

    text = spec_text if spec_text is not None else bench_spec_text(seed=seed)
    rid = store.create_run(name=name, spec_text=text, params={"head": head, "engine": "torch", "epochs": epochs,
                                                              "seed": seed, "device": "cpu"}, tags=list(tags))
    rng = np.random.default_rng(zlib.crc32(f"{seed}{name}".encode()))
    rows = []
    steps_per_epoch = max(1, steps // max(epochs, 1)) if steps else 10
    step = 0
    for e in range(1, epochs + 1):
        for _ in range(steps_per_epoch if steps else 0):
            step += 1
            rows.append((step, e, "step", "loss", float(2.0 * np.exp(-step / (steps or 1) * 3) + rng.normal(0, .05))))
        if not steps:
            step += steps_per_epoch
        for split in ("train", "val"):
            accs = []
            for k, t in enumerate(tasks):
                acc = float(np.clip(0.4 + 0.5 * (1 - np.exp(-e / 3)) - 0.05 * k + offset + rng.normal(0, .02), 0, 1))
                loss = float(1.2 * np.exp(-e / 4) + 0.1 * k + rng.normal(0, .02))
                rows += [(step, e, split, f"{t}.accuracy", acc), (step, e, split, f"{t}.loss", loss)]
                accs.append(acc)
            rows.append((step, e, split, "mean_accuracy", float(np.mean(accs))))
    store.log_metrics(rid, rows)
    if status == "finished":
        test = {t: {"accuracy": 0.8 + offset, "macro_f1": 0.78 + offset, "loss": 0.5} for t in tasks}
        store.log_metrics(rid, [(step, epochs, "test", f"{t}.{k}", v) for t, m in test.items() for k, v in m.items()])
        store.set_summary(rid, {"mean_test_accuracy": 0.8 + offset, "test": test, "head_params": 40,
                                "total_params": 120, "wall_time_s": 3.2, "epochs_run": epochs, "best_epoch": epochs})
    store.set_status(rid, status)
    return rid
