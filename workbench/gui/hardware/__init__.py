"""The hardware panel: IBM Quantum accounts, pre-flight, jobs (or local testing mode)."""
