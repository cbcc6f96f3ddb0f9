"""The noise panel: a trained model under simulated noise."""
