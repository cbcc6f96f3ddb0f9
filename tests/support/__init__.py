"""Test support: job functions with known behaviour, fault injection and fake runs, kept out of the
production modules."""
