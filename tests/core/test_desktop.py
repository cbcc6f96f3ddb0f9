"""The desktop launcher and icon install into the XDG data folder of the current user."""

import struct
import sys

from workbench.desktop import APP_ID, ICON_SIZES, ICONS, _quote, data_home, desktop_entry, icon_png, install_desktop


def _png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_the_shipped_icons_are_pngs_of_their_size_and_an_svg():
    for size in ICON_SIZES:
        assert _png_size(ICONS / f"{APP_ID}-{size}.png") == (size, size)
    assert "<svg" in (ICONS / f"{APP_ID}.svg").read_text()
    assert icon_png(20).name == f"{APP_ID}-24.png" and icon_png(4096).name == f"{APP_ID}-512.png"


def test_install_desktop_respects_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert data_home() == tmp_path / "data"
    written = install_desktop(command="/opt/qmtl/qmtl-workbench")
    entry = tmp_path / "data" / "applications" / "qmtl-workbench.desktop"
    assert entry in written and all(p.is_file() and p.is_relative_to(tmp_path / "data") for p in written)
    text = entry.read_text()
    assert "Exec=/opt/qmtl/qmtl-workbench %f\n" in text and "Icon=qmtl-workbench\n" in text
    for size in ICON_SIZES:
        assert _png_size(tmp_path / "data" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png") \
            == (size, size)
    assert (tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert install_desktop(command="x") == written  # a second install overwrites in place


def test_a_relative_xdg_data_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_home() == tmp_path / ".local" / "share"


def test_exec_paths_are_quoted_as_the_desktop_spec_asks():
    assert _quote("/usr/bin/qmtl-workbench") == "/usr/bin/qmtl-workbench"
    assert _quote("/home/a b/venv/bin/qmtl-workbench") == '"/home/a b/venv/bin/qmtl-workbench"'
    assert _quote('/x/"$y') == '"/x/\\"\\$y"'
    assert "Exec=/a/100%%/qmtl-workbench %f" in desktop_entry("/a/100%/qmtl-workbench")
    assert desktop_entry(_quote(sys.executable)).count("Exec=") == 1
