"""Inside the circuit: the probe panel (Bloch spheres, purity, mutual information) and what feeds it."""
