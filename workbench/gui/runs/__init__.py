"""The runs browser: stored runs, overlays, comparisons."""
