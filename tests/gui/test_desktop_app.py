"""Desktop integration: the application icon, File > Open Example, Help > About, --install-desktop, shipped names
on the command line, and one line instead of Qt's abort when the platform plugin cannot load."""

import os
import subprocess
import sys

import pytest

from workbench.spec.examples import EXPERIMENTS, example_names


def _env(tmp_path, **extra) -> dict:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": "/usr/bin:/bin",
           "QMTL_WORKBENCH_DATA_DIR": str(tmp_path / "data"), **extra}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def test_the_app_has_its_icon_in_every_size(qapp):
    from workbench.gui.shell.app import app_icon, make_app

    sizes = {s.width() for s in app_icon().availableSizes()}
    assert {16, 32, 48, 64, 128, 256, 512} <= sizes
    make_app([sys.argv[0]])
    assert not qapp.windowIcon().isNull() and qapp.desktopFileName() == "qmtl-workbench"


def test_open_example_lists_and_opens_the_shipped_experiments(window, monkeypatch, tmp_path):
    from workbench.gui.common import messages

    acts = window.example_menu.actions()
    assert [a.text() for a in acts] == example_names()
    penguins = next(a for a in acts if a.text() == "penguins")
    assert "Palmer penguins" in penguins.toolTip() and "3 tasks" in penguins.toolTip()
    shipped = (EXPERIMENTS / "penguins.toml").read_text()
    penguins.trigger()
    assert window.doc.path == EXPERIMENTS / "penguins.toml" and window.doc.spec.name == "penguins"
    # saving a shipped example asks for a new file; the shipped one stays as it is
    target = tmp_path / "my-penguins.toml"
    asked = []
    monkeypatch.setattr(messages, "save_path", lambda parent, start, *a, **k: asked.append(start) or str(target))
    assert window.save()
    assert asked and target.is_file() and (EXPERIMENTS / "penguins.toml").read_text() == shipped
    assert window.doc.path == target


def test_about_shows_the_versions_of_the_libraries(window):
    import torch

    import workbench

    box = window.show_about()
    try:
        text = box.text() + box.informativeText()
        assert f"QMTL Workbench {workbench.__version__}" in text and torch.__version__ in text
        for name in ("PennyLane", "Qiskit", "Aer", "Runtime"):
            assert f"<td>{name}</td>" in text
        assert "not installed" not in text and not box.iconPixmap().isNull()
    finally:
        box.close()
    assert window.act_about in window.menuBar().actions()[-1].menu().actions()


def test_a_shipped_name_opens_from_the_command_line(tmp_path, monkeypatch):
    from workbench.gui.shell.app import main

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "penguins.png"
    assert main(["penguins", "--screenshot", str(out), "--size", "900x600"]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_an_unknown_name_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    from workbench.gui.shell.app import main

    monkeypatch.chdir(tmp_path)
    assert main(["nosuch", "--screenshot", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'nosuch'" in err and "digits-3task" in err


def test_install_desktop_puts_launcher_and_icon_in_xdg_data_home(tmp_path):
    data = tmp_path / "xdg-data"
    r = subprocess.run([sys.executable, "-m", "workbench", "--install-desktop"], capture_output=True, text=True,
                       env=_env(tmp_path, XDG_DATA_HOME=str(data)), timeout=120)
    assert r.returncode == 0, r.stderr
    entry = (data / "applications" / "qmtl-workbench.desktop").read_text()
    assert "Icon=qmtl-workbench" in entry and "Exec=" in entry
    assert (data / "icons" / "hicolor" / "256x256" / "apps" / "qmtl-workbench.png").is_file()
    assert not (tmp_path / ".local").exists()  # XDG_DATA_HOME was respected


def test_missing_system_libraries_are_named_in_one_line(tmp_path):
    from workbench.gui.shell.platform_check import check_platform

    if check_platform({"QT_QPA_PLATFORM": "xcb"}) is None:
        pytest.skip("every library of the xcb platform plugin is installed here: nothing to report")
    r = subprocess.run([sys.executable, "-m", "workbench"], capture_output=True, text=True, timeout=120,
                       env=_env(tmp_path, QT_QPA_PLATFORM="xcb"))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "sudo apt install lib" in r.stderr and '"xcb"' in r.stderr


def test_the_message_names_the_debian_packages():
    from workbench.gui.shell.platform_check import describe, platform_names

    text = describe("xcb", ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libfoo.so.3"])
    assert text.endswith("sudo apt install libxcb-icccm4 libxcb-keysyms1 (and the package providing libfoo.so.3)")
    assert platform_names({"QT_QPA_PLATFORM": "wayland;xcb"}) == ["wayland", "xcb"]
    assert platform_names({"XDG_SESSION_TYPE": "wayland"}) == ["wayland", "xcb"]
    assert platform_names({}) == ["xcb"]
