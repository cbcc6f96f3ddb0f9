"""Before Qt starts on Linux: can its platform plugin load? When a system library it needs is missing, Qt
aborts the process with a long message; this names the missing libraries and the Debian/Ubuntu packages that
provide them, in one line. Qt-free: it only looks at the plugin's file and the dynamic loader."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# shared library -> the Debian/Ubuntu package providing it (checked on Debian 12 with ldd on PySide6's plugins)
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-util.so.1": "libxcb-util1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0", "libxcb-shape.so.0": "libxcb-shape0", "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1", "libX11-xcb.so.1": "libx11-xcb1", "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1", "libGLX.so.0": "libglx0", "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6", "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0", "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
_NOT_FOUND = re.compile(r"^\s*(\S+) => not found", re.M)
_DLERROR = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")


def platform_names(env: dict | None = None) -> list[str]:
    """The platform plugins Qt will try, in order (``QT_QPA_PLATFORM`` may list several, separated by ';')."""
    env = os.environ if env is None else env
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return [p.split(":")[0] for p in chosen.split(";") if p]
    return ["wayland", "xcb"] if env.get("XDG_SESSION_TYPE") == "wayland" else ["xcb"]


def plugin_file(name: str) -> Path | None:
    import PySide6  # the package only: no Qt library is loaded by this

    path = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / f"libq{name}.so"
    return path if path.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries ``plugin`` needs that the dynamic loader cannot find (empty when it loads)."""
    try:
        ctypes.CDLL(str(plugin))
        return []
    except OSError as exc:
        first = _DLERROR.findall(str(exc))
    ldd = shutil.which("ldd")
    if ldd:  # every missing one, not just the first the loader met
        try:
            out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
            found = list(dict.fromkeys(_NOT_FOUND.findall(out)))
            if found:
                return found
        except (OSError, subprocess.SubprocessError):
            pass
    return first or [plugin.name]


def describe(platform: str, missing: list[str]) -> str:
    packages = list(dict.fromkeys(PACKAGES[lib] for lib in missing if lib in PACKAGES))
    unknown = [lib for lib in missing if lib not in PACKAGES]
    text = f'the Qt platform plugin "{platform}" cannot load: missing {", ".join(missing)}'
    if packages:
        text += f"; on Debian/Ubuntu: sudo apt install {' '.join(packages)}"
    if unknown and packages:
        text += f" (and the package providing {', '.join(unknown)})"
    return text


def check_platform(env: dict | None = None) -> str | None:
    """None when a platform plugin Qt will try can load (or when this cannot tell); else the one-line reason."""
    if not sys.platform.startswith("linux"):
        return None
    problems = []
    for name in platform_names(env):
        plugin = plugin_file(name)
        if plugin is None:
            return None  # not a plugin PySide6 ships, or a layout we do not know: let Qt speak
        missing = missing_libraries(plugin)
        if not missing:
            return None
        problems.append(describe(name, missing))
    return problems[-1] if problems else None
