"""``qmtl-workbench --install-desktop``: the launcher and the icon for the current user's desktop menu, in the
XDG data folder (``$XDG_DATA_HOME``, default ``~/.local/share``). Qt-free: plain files."""

from __future__ import annotations

import os
import shutil
import sys
from importlib.resources import files
from pathlib import Path

APP_ID = "qmtl-workbench"
ICONS = Path(str(files("workbench") / "icons"))
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def icon_png(size: int = 256) -> Path:
    """The shipped PNG of the application icon closest to ``size`` (not smaller where possible)."""
    best = min((s for s in ICON_SIZES if s >= size), default=ICON_SIZES[-1])
    return ICONS / f"{APP_ID}-{best}.png"


def data_home() -> Path:
    env = os.environ.get("XDG_DATA_HOME", "")
    # the XDG spec: a relative or empty value is ignored
    return Path(env) if env and os.path.isabs(env) else Path.home() / ".local" / "share"


def launcher_command() -> str:
    """How the desktop starts this installation: the bundle's executable, the ``qmtl-workbench`` script beside
    this interpreter (a virtual environment), the one on PATH, else this interpreter with ``-m workbench``."""
    if getattr(sys, "frozen", False):
        return _quote(sys.executable)
    beside = Path(sys.executable).parent / APP_ID
    if beside.is_file():
        return _quote(str(beside))
    found = shutil.which(APP_ID)
    if found:
        return _quote(str(Path(found).resolve()))
    return f"{_quote(sys.executable)} -m workbench"


def _quote(arg: str) -> str:
    """Quote an Exec argument as the Desktop Entry spec asks (double quotes; escape " ` $ and backslash)."""
    if not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def desktop_entry(command: str) -> str:
    text = (ICONS / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    # '%' is the field-code escape of the Exec key: a literal one in a path is written '%%'
    return text.replace(f"Exec={APP_ID} %f", f"Exec={command.replace('%', '%%')} %f")


def install_desktop(root: Path | None = None, command: str | None = None) -> list[Path]:
    """Write the launcher and the icons under ``root`` (default: the XDG data folder); returns the files."""
    root = root or data_home()
    written = []
    apps = root / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    entry = apps / f"{APP_ID}.desktop"
    tmp = entry.with_name(entry.name + ".tmp")
    tmp.write_text(desktop_entry(command or launcher_command()), encoding="utf-8")
    tmp.replace(entry)
    written.append(entry)
    hicolor = root / "icons" / "hicolor"
    for size in ICON_SIZES:
        target = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ICONS / f"{APP_ID}-{size}.png", target)
        written.append(target)
    svg = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    svg.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ICONS / f"{APP_ID}.svg", svg)
    written.append(svg)
    return written
