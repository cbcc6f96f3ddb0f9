"""``python -m workbench.gui.bench_composer``: the composer benchmark (see ``workbench.gui.composer.bench``)."""

import sys

from workbench.gui.composer.bench import main

if __name__ == "__main__":
    sys.exit(main())
