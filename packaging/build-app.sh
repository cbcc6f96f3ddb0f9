#!/usr/bin/env bash
# Build the one-folder desktop bundle with PyInstaller: dist/qmtl-workbench/qmtl-workbench opens the workbench,
# dist/qmtl-workbench/qmtl is the command line. Needs the project's dependencies with the CPU torch, and
# PyInstaller:  pip install torch==2.13.0 -e ".[bundle]"  then  packaging/build-app.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$(command -v python || command -v python3)}"
cd "$repo"
"$python" -c "import PyInstaller" 2>/dev/null \
    || { echo "build-app: PyInstaller is missing: pip install 'pyinstaller>=6' (or -e \".[bundle]\")" >&2; exit 2; }
"$python" -c "import sys, torch; sys.exit(torch.version.cuda is not None)" \
    || { echo "build-app: this torch is a CUDA build; install the CPU one first: pip install torch==2.13.0" \
              "--index-url https://download.pytorch.org/whl/cpu" >&2; exit 2; }
start=$SECONDS
# PYTHONPATH: bundle this checkout's workbench, whatever else is installed
# CLEAN=1 rebuilds from scratch; otherwise PyInstaller reuses its cache of processed libraries in build/
PYTHONPATH="$repo" "$python" -m PyInstaller --noconfirm ${CLEAN:+--clean} --log-level WARN \
    --distpath "$repo/dist" --workpath "$repo/build/pyinstaller" "$repo/packaging/qmtl-workbench.spec"
ln -sfn qmtl-workbench "$repo/dist/qmtl-workbench/qmtl"
cuda="$(find "$repo/dist/qmtl-workbench" \( -name 'libcuda*' -o -name 'libcudart*' -o -name 'libcublas*' \
        -o -name 'libcudnn*' -o -name 'libcufft*' -o -name 'libcusparse*' -o -name 'libnccl*' -o -name 'libnv*' \
        -o -name 'libtorch_cuda*' \) | head -3)"
[ -z "$cuda" ] || { echo "build-app: CUDA libraries ended up in the bundle: $cuda" >&2; exit 1; }
echo "build-app: dist/qmtl-workbench, $(du -sh "$repo/dist/qmtl-workbench" | cut -f1), built in $((SECONDS - start)) s"
