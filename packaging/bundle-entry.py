"""The desktop bundle's executable. Without arguments it opens the workbench on the demo. The workbench starts
its background workers as ``sys.executable -m MODULE``; in the bundle ``sys.executable`` is this program, so
``-m MODULE ARGS`` runs that module here as Python would. Started as ``qmtl`` (a link beside it), it is the
command line."""

import multiprocessing
import os
import runpy
import sys


def main() -> int:
    multiprocessing.freeze_support()
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        sys.argv = [module] + sys.argv[3:]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    if os.path.basename(sys.argv[0]) == "qmtl":
        from workbench.cli import main as cli

        return cli()
    from workbench.gui.shell.app import main as app

    return app()


if __name__ == "__main__":
    sys.exit(main())
