"""Measures what one training step really takes, against ``workbench.spec.memory``'s estimate.

``python -m workbench.analysis.memory_probe [--qubits 4,6,...] [--batch B]`` trains one step (forward and
backward) of the tiny synthetic experiment at each size, each in a fresh process, and prints the estimate beside
the measured growth of the peak resident memory (``ru_maxrss``) over the baseline of the built model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

_CHILD = r"""
import json, resource, sys
import torch
from workbench.models import build_model
from workbench.spec.examples import small_synthetic
from workbench.spec.memory import OVERHEAD_BYTES, spec_training_bytes

n, batch, layers, engine = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
spec = small_synthetic(samples=120, batch=batch)
spec.quantum.qubits, spec.quantum.default_block.layers, spec.quantum.engine = n, layers, engine
torch.manual_seed(0)
model = build_model(spec, 8, "qmtl", engine=engine, seed=0)

def step(b):
    x = torch.randn(b, 8)
    out = model(x)
    loss = sum(v.float().pow(2).mean() for v in out.values())
    loss.backward()
    model.zero_grad(set_to_none=True)

base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # the built model, before any state exists
step(batch)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
need, how = spec_training_bytes(spec)
print(json.dumps({"qubits": n, "batch": batch, "estimate": need - OVERHEAD_BYTES, "measured": peak - base,
                  "baseline": base}))
"""


def measure(qubits: int, batch: int, layers: int = 1, engine: str = "torch") -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    run = subprocess.run([sys.executable, "-c", _CHILD, str(qubits), str(batch), str(layers), engine],
                         capture_output=True, text=True, env=env, timeout=1800)
    if run.returncode != 0:
        return {"qubits": qubits, "batch": batch, "error": run.stderr.strip().splitlines()[-1:]}
    return json.loads(run.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workbench.analysis.memory_probe")
    p.add_argument("--qubits", default="4,6,8,10,12,14,16,18,20")
    p.add_argument("--batch", type=int, default=None, help="batch (default: 32 up to 14 qubits, fewer above)")
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--engine", default="torch")
    args = p.parse_args(argv)
    print(f"{'qubits':>6} {'batch':>5} {'estimate MiB':>13} {'measured MiB':>13} {'ratio':>6}")
    for n in (int(v) for v in args.qubits.split(",")):
        batch = args.batch or (32 if n <= 14 else 8 if n <= 16 else 2)
        r = measure(n, batch, args.layers, args.engine)
        if "error" in r:
            print(f"{n:>6} {batch:>5} error: {r['error']}")
            continue
        est, got = r["estimate"] / 2**20, r["measured"] / 2**20
        print(f"{n:>6} {batch:>5} {est:>13.1f} {got:>13.1f} {est / got if got > 0 else float('inf'):>6.2f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
