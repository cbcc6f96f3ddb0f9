"""Writes the hostile corpus in this folder (run once; the files are committed): ``python -m tests.corpus.make_corpus``.

Every spec file is refused by ``qmtl params``, ``qmtl train --epochs 1`` and ``qmtl export`` with exit code 2 and one
line. File names start with their category: numbers, sizes, names, expressions, structure, dataset, training,
encoding, data (specs that read a hostile data file from ``data/``).
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import tomli_w

from workbench.spec.examples import small_synthetic
from workbench.spec.io import spec_to_dict

HERE = Path(__file__).resolve().parent
SPEC_DIR, DATA_DIR = HERE / "spec", HERE / "data"


def base() -> dict:
    return spec_to_dict(small_synthetic(samples=120, epochs=1))


def setp(doc: dict, path: str, value) -> dict:
    doc = copy.deepcopy(doc)
    keys = path.split(".")
    cur = doc
    for k in keys[:-1]:
        cur = cur[int(k)] if isinstance(cur, list) else cur.setdefault(k, {})
    last = keys[-1]
    if isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value
    return doc


def custom_block(params) -> dict:
    return {"template": "Custom", "gates": [{"gate": "RY", "wires": [0], "params": [params]}]}


MUTATIONS = {
    # numbers: non-finite, huge, out of range
    "numbers-seed-2pow64": ("training.seed", 2**64),
    "numbers-seed-negative": ("training.seed", -1),
    "numbers-lr-nan": ("training.lr", float("nan")),
    "numbers-lr-inf": ("training.lr", float("inf")),
    "numbers-weight-decay-nan": ("training.weight_decay", float("nan")),
    "numbers-readout-scale-nan": ("tasks.0.readout", {"kind": "expval", "wires": [0], "scale": float("nan")}),
    "numbers-task-weight-inf": ("tasks.0.weight", float("inf")),
    "numbers-input-scale-inf": ("quantum.encoder.input_scale", float("inf")),
    "numbers-epochs-zero": ("training.epochs", 0),
    "numbers-batch-negative": ("training.batch_size", -32),
    "numbers-classes-huge": ("tasks.0.classes", 10**9),
    "numbers-val-fraction-nan": ("dataset.val_fraction", float("nan")),
    # sizes: allocations that must be refused before they start
    "sizes-qubits-2000": ("quantum.qubits", 2000),
    "sizes-qubits-int64": ("quantum.qubits", 9223372036854775807),
    "sizes-qubits-27": ("quantum.qubits", 27),
    "sizes-layers-1e9": ("quantum.default_block.layers", 10**9),
    "sizes-hidden-1e9": ("backbone.hidden", [10**9]),
    "sizes-width-1e7": ("backbone.width", 10**7),
    "sizes-samples-1e10": ("dataset.options.samples", 10**10),
    "sizes-features-1e9": ("dataset.options.features", 10**9),
    "sizes-tasks-1000": ("dataset.options.tasks", 1000),
    "sizes-batch-20-qubits": None,  # built below: 20 qubits at batch 100000
    # names
    "names-task-dot": ("tasks.0.name", "a.b"),
    "names-task-training": ("tasks.0.name", "training"),
    "names-task-encoder": ("tasks.0.name", "encoder"),
    "names-task-path": ("tasks.0.name", "../../x/y"),
    "names-task-ansi": ("tasks.0.name", "a\x1b[31mred"),
    "names-task-rlo": ("tasks.0.name", "abc\u202egpj.exe"),
    "names-task-nul": ("tasks.0.name", "a\x00b"),
    "names-task-newline": ("tasks.0.name", "a\nb"),
    "names-task-long": ("tasks.0.name", "t" * 5000),
    "names-task-empty": ("tasks.0.name", "   "),
    "names-task-duplicate": ("tasks.1.name", "task_0"),
    "names-experiment-code": ("name", 'x"""\nimport os; os.system("touch /tmp/qmtl-corpus-marker")\n"""'),
    "names-experiment-long": ("name", "n" * 100000),
    # gate-angle expressions
    "expressions-complex": ("tasks.0.block", custom_block("(-1)**0.5")),
    "expressions-pi-pow": ("tasks.0.block", custom_block("pi**1e9")),
    "expressions-tower": ("tasks.0.block", custom_block("9**9**9**9")),
    "expressions-long-sum": ("tasks.0.block", custom_block("1+" * 100000 + "1")),
    "expressions-deep-parens": ("tasks.0.block", custom_block("(" * 5000 + "1" + ")" * 5000)),
    "expressions-names": ("tasks.0.block", custom_block("__import__('os').system('true')")),
    "expressions-lambda": ("tasks.0.block", custom_block("(lambda: 1)()")),
    "expressions-sqrt-negative": ("tasks.0.block", custom_block("sqrt(-1)")),
    "expressions-digits": ("tasks.0.block", custom_block("1" * 5000)),
    "expressions-nul": ("tasks.0.block", custom_block("1\x00")),
    # structure
    "structure-unknown-field": ("training.learning_rate", 0.1),
    "structure-wrong-type-tasks": ("tasks", "all of them"),
    "structure-wrong-type-qubits": ("quantum.qubits", "four"),
    "structure-bool-as-int": ("quantum.qubits", True),
    "structure-list-as-table": ("quantum", [1, 2, 3]),
    "structure-future-version": ("version", 99),
    # dataset
    "dataset-seed-negative": ("dataset.seed", -1),
    "dataset-max-samples-negative": ("dataset.max_samples", -5),
    "dataset-pca-huge": ("dataset.pca", 10**6),
    "dataset-unknown-source": ("dataset.source", "imagenet"),
    "dataset-option-typo": ("dataset.options.sampels", 100),
    "dataset-option-seed-negative": ("dataset.options.seed", -1),
    "dataset-csv-missing-path": ("dataset", {"source": "csv", "labels": ["y"]}),
    "dataset-csv-not-found": ("dataset", {"source": "csv", "path": "no-such-file.csv", "labels": ["y"]}),
    # training
    "training-unknown-optimizer": ("training.optimizer", "lbfgs\x1b[2J"),
    "training-patience-negative": ("training.patience", -1),
    "training-device-tpu": ("training.device", "tpu"),
}

RAW = {  # files whose bytes are the point
    "encoding-empty.toml": b"",
    "encoding-binary.toml": bytes(range(256)) * 4,
    "encoding-latin1.toml": 'name = "caf\xe9"\n'.encode("latin-1"),
    "encoding-bom.json": b"\xef\xbb\xbf" + b'{"name": "x"}',
    "structure-top-level-list.json": b"[1, 2, 3]",
    "structure-deep-arrays.json": b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "structure-deep-tables.json": b'{"name": "x", "dataset": {"options": ' + b'{"a": ' * 5000 + b"1"
                                  + b"}" * 5000 + b"}}",
    "structure-deep-toml.toml": b"name = " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "numbers-5000-digits.json": b'{"name": "x", "training": {"seed": ' + b"9" * 5000 + b"}}",
    "numbers-5000-digit-float.json": b'{"name": "x", "training": {"lr": 0.' + b"1" * 5000 + b"}}",
    "numbers-json-nan.json": b'{"name": "x", "training": {"lr": NaN}}',
    "numbers-1e300-qubits.json": b'{"name": "x", "quantum": {"qubits": 1e300}}',
    "numbers-toml-huge-int.toml": b"[training]\nseed = 99999999999999999999999999999\n",
    "structure-not-toml.toml": b"[[[[ this is not toml\n",
}


def data_files() -> dict[str, str]:
    """Hostile data files, and the spec dataset section that reads each (category 'data')."""
    DATA_DIR.mkdir(exist_ok=True)
    (DATA_DIR / "dup-columns.csv").write_text("a,a,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    (DATA_DIR / "huge-cell.csv").write_text("a,y\n" + "x" * 500_000 + ",0\n1,1\n")
    (DATA_DIR / "long-header.csv").write_text(",".join(f"c{i}" for i in range(60_000)) + ",y\n")
    (DATA_DIR / "ansi-column.csv").write_text("a\x1b[31m,y\n1,0\n2,1\n")
    (DATA_DIR / "not-numeric.csv").write_text("a,y\n\u202eevil,0\n2,1\n")
    np.savez(DATA_DIR / "pickled.npz", X=np.array([{"a": 1}] * 4, dtype=object), y=np.arange(4))
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 600)})
    with zipfile.ZipFile(DATA_DIR / "huge-header.npz", "w") as zf:
        zf.writestr("X.npy", buf.getvalue() + b"\0" * 64)
    np.savez_compressed(DATA_DIR / "corrupt-deflate.npz", X=np.random.default_rng(0).normal(size=(300, 8)),
                        y=np.arange(300) % 2)
    raw = bytearray((DATA_DIR / "corrupt-deflate.npz").read_bytes())
    raw[200:400] = bytes((i * 37) % 256 for i in range(200))
    (DATA_DIR / "corrupt-deflate.npz").write_bytes(bytes(raw))
    (DATA_DIR / "not-a-zip.npz").write_bytes(b"PK\x03\x04" + b"\xff" * 100)
    (DATA_DIR / "empty.csv").write_bytes(b"")
    return {"dup-columns.csv": "csv", "huge-cell.csv": "csv", "long-header.csv": "csv", "ansi-column.csv": "csv",
            "not-numeric.csv": "csv", "pickled.npz": "npz", "huge-header.npz": "npz",
            "corrupt-deflate.npz": "npz", "not-a-zip.npz": "npz", "empty.csv": "csv"}


def main() -> None:
    SPEC_DIR.mkdir(exist_ok=True)
    for old in SPEC_DIR.iterdir():
        old.unlink()
    doc = base()
    for name, mutation in MUTATIONS.items():
        if mutation is None:
            d = setp(setp(doc, "quantum.qubits", 20), "training.batch_size", 100000)
        else:
            d = setp(doc, *mutation)
        # JSON keeps NaN/inf and huge ints that TOML cannot write; JSON is what most files here use
        try:
            text = json.dumps(d, indent=1)
            (SPEC_DIR / f"{name}.json").write_text(text)
        except ValueError:
            (SPEC_DIR / f"{name}.toml").write_text(tomli_w.dumps(d))
    for name, data in RAW.items():
        (SPEC_DIR / name).write_bytes(data)
    for fname, source in data_files().items():
        d = setp(doc, "dataset", {"source": source, "path": f"../data/{fname}", "labels": ["y"]})
        (SPEC_DIR / f"data-{fname.replace('.', '-')}.json").write_text(json.dumps(d, indent=1))


if __name__ == "__main__":
    main()
