"""``python -m workbench [SPEC]`` opens the desktop workbench (the command line is ``qmtl``)."""

from workbench.toplevel import workbench_main

if __name__ == "__main__":
    workbench_main()
