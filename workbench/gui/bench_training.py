"""``python -m workbench.gui.bench_training``: the training benchmark (see ``workbench.gui.training.bench``)."""

import sys

from workbench.gui.training.bench import main

if __name__ == "__main__":
    sys.exit(main())
