"""Studies over specs and runs: parameter/resource scaling, noise comparisons."""
