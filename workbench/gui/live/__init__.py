"""Live task outputs: the input chooser, the per-task bars and the panel that recomputes them on every edit."""
