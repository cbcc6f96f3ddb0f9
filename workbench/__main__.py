"""``python -m workbench [SPEC]`` opens the desktop workbench (the command line is ``qmtl``)."""

import sys

from workbench.gui.shell.app import main

if __name__ == "__main__":
    sys.exit(main())
