"""The desktop bundle: packaging/build-app.sh builds dist/qmtl-workbench/, whose executable opens the demo and
writes a screenshot on a machine where the project is not installed (no PYTHONPATH, an empty HOME, run from a
folder outside the checkout). Takes minutes, so it runs only when asked:
``python -m pytest tests/packaging -m bundle`` or ``QMTL_TEST_BUNDLE=1``. ``QMTL_BUNDLE=DIR`` tests an already
built bundle folder (e.g. one copied from another machine) instead of building one."""

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dist" / "qmtl-workbench"

pytestmark = pytest.mark.bundle


@pytest.fixture(scope="module")
def bundle(request):
    asked = "bundle" in (request.config.getoption("markexpr") or "") or os.environ.get("QMTL_TEST_BUNDLE") == "1"
    if not asked:
        pytest.skip("builds the desktop bundle (minutes): run with -m bundle or QMTL_TEST_BUNDLE=1")
    if os.environ.get("QMTL_BUNDLE"):
        app = Path(os.environ["QMTL_BUNDLE"]).resolve()
    else:
        pytest.importorskip("PyInstaller")
        r = subprocess.run([str(ROOT / "packaging" / "build-app.sh")], capture_output=True, text=True, timeout=3600)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        app = APP
    assert (app / "qmtl-workbench").is_file()
    return app


def _clean_env(tmp_path: Path, **extra) -> dict:
    """What a user's session has, and nothing pointing at this checkout or its Python."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8", **extra}
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def test_no_cuda_libraries_and_no_unused_qt_modules(bundle):
    names = [p.name for p in bundle.rglob("*") if p.is_file()]
    assert not [n for n in names if n.startswith(("libcudart", "libcublas", "libcudnn", "libnccl", "libnvrtc"))]
    assert not [n for n in names if n.startswith(("libQt6Quick", "libQt6Qml", "libQt6Pdf", "libQt6WebEngine"))]
    assert not [n for n in names if n.startswith(("QtQuick", "QtQml", "QtNetwork", "QtWebEngine"))]


def test_the_bundle_opens_the_demo_offscreen_without_the_project_installed(bundle, tmp_path):
    run = tmp_path / "elsewhere"
    run.mkdir()
    out = run / "out.png"
    r = subprocess.run([str(bundle / "qmtl-workbench"), "--screenshot", str(out)], cwd=run, capture_output=True,
                       text=True, timeout=600, env=_clean_env(tmp_path, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 0, r.stderr[-3000:]
    head = out.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (1600, 1000)
    assert out.stat().st_size > 50_000  # the composer on the demo, not an empty window


def test_the_bundle_runs_the_command_line(bundle, tmp_path):
    env = _clean_env(tmp_path)
    r = subprocess.run([str(bundle / "qmtl"), "--version"], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0 and "torch 2." in r.stdout and "not installed" not in r.stdout, r.stdout + r.stderr
    r = subprocess.run([str(bundle / "qmtl"), "train", "small-synthetic", "--epochs", "1", "--runs-dir",
                        str(tmp_path / "runs")], cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0 and "mean" in r.stdout, r.stderr[-3000:]


def test_a_copied_bundle_still_works(bundle, tmp_path):
    """A one-folder app is relocatable: copy it elsewhere, as a user unpacking it would."""
    copy = tmp_path / "apps" / "qmtl-workbench"
    shutil.copytree(bundle, copy, symlinks=True)
    r = subprocess.run([str(copy / "qmtl-workbench"), "--install-desktop"], capture_output=True, text=True,
                       timeout=300, env=_clean_env(tmp_path, XDG_DATA_HOME=str(tmp_path / "xdg")))
    assert r.returncode == 0, r.stderr[-3000:]
    entry = (tmp_path / "xdg" / "applications" / "qmtl-workbench.desktop").read_text()
    assert f"Exec={copy / 'qmtl-workbench'} %f" in entry
