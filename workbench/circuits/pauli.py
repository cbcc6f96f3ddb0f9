"""Pauli words as measurements: which words share a measurement basis, and the basis change each basis needs.

Words that agree on every shared wire (qubit-wise commuting) are read from one measured circuit: rotate X wires
with H and Y wires with S^dagger then H, measure, and <word> is the mean of the product of (-1)^bit over the
word's wires. Torch-free and Qiskit-free, so the engines, the exports and the hardware path share it.
"""

from __future__ import annotations

from workbench.circuits.ir import PauliWord

# the gates (in order) that turn a Pauli's eigenbasis into Z's
BASIS_CHANGE = {"X": ("h",), "Y": ("sdg", "h"), "Z": ()}


def basis_groups(words) -> list[tuple[dict[int, str], list[int]]]:
    """Greedy qubit-wise commuting groups: (measurement basis per wire, indices of the words measured in it)."""
    groups: list[tuple[dict[int, str], list[int]]] = []
    for i, word in enumerate(words):
        basis = {w: op for op, w in word}
        for g_basis, members in groups:
            if all(g_basis.get(w, op) == op for w, op in basis.items()):
                g_basis.update(basis)
                members.append(i)
                break
        else:
            groups.append((basis, [i]))
    return groups


def word_label(word: PauliWord) -> str:
    return " ".join(f"{op}{w}" for op, w in word)


def word_value(bits_by_wire: dict[int, int], word: PauliWord) -> int:
    """+1 or -1: the word's eigenvalue on one measured shot (bits after the basis change)."""
    parity = sum(bits_by_wire[w] for _, w in word) & 1
    return 1 - 2 * parity
