"""Hostile data files: each is refused with one short line before anything large is allocated."""

import io
import os
import zipfile

import numpy as np
import pytest

from workbench.data import DataError, load_dataset


def _npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=True)
    return buf.getvalue()


def huge_header_npz(path):
    """An npz whose X header claims 10^12 float64 (7.3 TiB) but holds a few bytes."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("X.npy", buf.getvalue() + b"\0" * 64)
        zf.writestr("y.npy", _npy_bytes(np.arange(4)))


def corrupt_deflate_npz(path):
    np.savez_compressed(path, X=np.random.default_rng(0).normal(size=(200, 8)), y=np.arange(200) % 2)
    data = bytearray(path.read_bytes())
    start = 200  # inside the first member's compressed stream
    data[start:start + 200] = os.urandom(200)
    path.write_bytes(bytes(data))


def pickled_npz(path):
    np.savez(path, X=np.array([{"a": 1}] * 4, dtype=object), y=np.arange(4))


def bomb_npz(path):
    """A member whose header says 8 bytes but which inflates to 50 MB of zeros."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False, "shape": (1,)})
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("X.npy", head.getvalue() + b"\0" * (50 * 2**20))
        zf.writestr("y.npy", _npy_bytes(np.arange(1)))


NPZ_CASES = {"huge-header": (huge_header_npz, "shape (1000000000000,)"),
             "corrupt-deflate": (corrupt_deflate_npz, "cannot read as npz"),
             "pickled": (pickled_npz, "Python objects"),
             "bomb": (bomb_npz, "inflates")}


@pytest.mark.parametrize("case", sorted(NPZ_CASES))
def test_hostile_npz_is_one_line(tmp_path, case):
    make, words = NPZ_CASES[case]
    path = tmp_path / "d.npz"
    make(path)
    with pytest.raises(DataError) as exc:
        load_dataset("npz", path=str(path), labels=["y"])
    message = str(exc.value)
    assert words in message and "\n" not in message and len(message) < 400


def test_duplicate_csv_columns_are_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,a,label\n1,2,0\n3,4,1\n")
    with pytest.raises(DataError, match="duplicate column names: 'a'"):
        load_dataset("csv", path=str(path), labels=["label"])


def test_a_huge_cell_is_cut_in_the_message(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("f,label\n" + "x" * 5_000_000 + ",0\n1,1\n")
    with pytest.raises(DataError) as exc:
        load_dataset("csv", path=str(path), labels=["label"])
    assert "not numeric" in str(exc.value) and len(str(exc.value)) < 400


def test_a_system_file_is_not_echoed(tmp_path):
    link = tmp_path / "d.csv"
    target = "/etc/passwd" if os.path.exists("/etc/passwd") else __file__
    link.symlink_to(target)
    with pytest.raises(DataError) as exc:
        load_dataset("csv", path=str(link), labels=["label"])
    assert len(str(exc.value)) < 1200 and "\n" not in str(exc.value)
