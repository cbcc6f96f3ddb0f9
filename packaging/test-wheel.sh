#!/usr/bin/env bash
# The wheel as users install it: build it, install it with the CPU torch into a fresh virtual environment outside
# the checkout, and run the command line and the app from a folder outside the checkout, with an empty HOME.
#   packaging/test-wheel.sh            (KEEP=1 keeps the temporary folder for a look afterwards)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$(command -v python || command -v python3)}"
work="$(mktemp -d "${TMPDIR:-/tmp}/qmtl-wheel-test.XXXXXX")"
case "$work" in "$repo"/*) echo "test-wheel: the temporary folder must be outside the checkout" >&2; exit 2;; esac
[ "${KEEP:-0}" = 1 ] && echo "test-wheel: keeping $work" || trap 'rm -rf "$work"' EXIT
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "build the wheel"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$repo"
wheel="$(ls "$work"/dist/qmtl_workbench-*.whl)"
"$python" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = ["workbench/examples/digits-3task.toml", "workbench/examples/penguins.toml",
        "workbench/icons/qmtl-workbench.svg", "workbench/icons/qmtl-workbench.desktop"]
missing = [n for n in need if n not in names]
assert not missing, f"the wheel lacks {missing}"
print(f"{sys.argv[1].rsplit('/', 1)[-1]}: {len(names)} files, package data present")
PY

step "fresh virtual environment with the CPU torch and the wheel"
"$python" -m venv "$work/venv"
venv="$work/venv/bin"
"$venv/python" -m pip install --quiet --no-compile torch==2.13.0 "$wheel"

step "run from a folder outside the checkout"
mkdir -p "$work/run" "$work/home"
cd "$work/run"
run() { env -u PYTHONPATH HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
            QMTL_RUNS_DIR="$work/run/runs" MPLBACKEND=Agg "$@"; }
run "$venv/python" -c "import sys, workbench; f = workbench.__file__; print('workbench from', f); \
sys.exit(f.startswith('$repo'))"
run "$venv/qmtl" --version
run "$venv/qmtl" examples
run "$venv/qmtl" train digits-3task --epochs 1
run "$venv/qmtl" reproduce --quick --seeds 1 --datasets penguins --out "$work/run/repro"
test -s "$work/run/repro/report.md" && test -s "$work/run/repro/scaling.png"
run env QT_QPA_PLATFORM=offscreen "$venv/qmtl-workbench" --screenshot "$work/run/out.png"
run env QT_QPA_PLATFORM=offscreen "$venv/python" - "$work/run/out.png" <<'PY'
import sys
from PySide6.QtGui import QImage
img = QImage(sys.argv[1])
assert not img.isNull(), "the screenshot is not a PNG"
assert (img.width(), img.height()) == (1600, 1000), f"screenshot is {img.width()}x{img.height()}"
colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
assert len(colours) > 50, f"the screenshot looks empty ({len(colours)} colours)"
print(f"{sys.argv[1]}: {img.width()}x{img.height()}, {len(colours)} colours sampled")
PY
run "$venv/qmtl-workbench" --install-desktop
grep -q "^Exec=$work/venv/bin/qmtl-workbench %f" "$work/home/.local/share/applications/qmtl-workbench.desktop"
test -s "$work/home/.local/share/icons/hicolor/256x256/apps/qmtl-workbench.png"
step "the installed wheel works"
