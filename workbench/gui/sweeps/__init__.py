"""The Sweep panel: many trainings of the composer's experiment over axes, live, with its Pareto front."""
