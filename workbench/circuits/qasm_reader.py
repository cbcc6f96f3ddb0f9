"""Read the OpenQASM 3 subset that ``qmtl export --format qasm3`` writes, statement by statement, with positions.

What it reads: ``OPENQASM 3``, ``include "stdgates.inc"``, ``input float[64] NAME`` (and ``input angle``),
one ``qubit[n] q`` register, ``bit[k] c``, the ``rzz`` definition Qiskit writes, gate calls on single qubits
(``rx(pi/4) q[0];``), measurements (``c[0] = measure q[1];`` or ``measure q[1] -> c[0];``) and barriers. Anything
else (classical control, gate modifiers, other gate definitions) is an error naming its line, never skipped.

Every number is bounded before use: the text's length, the statement count, the register size and the digits
of an index, so a hostile file is one clear line instead of a long allocation.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from workbench.errors import UserError
from workbench.spec.expressions import ExpressionError, evaluate
from workbench.textsafe import shown

MAX_CHARS = 8 * 2**20  # the text of one program
MAX_INDEX_DIGITS = 7  # q[1234567] or _w_1234567_ at most: enough for any block, small enough to bound
QASM_CONSTANTS = {"pi": "pi", "π": "pi", "tau": "tau", "τ": "tau", "euler": "e", "ℇ": "e"}

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_OPERAND = re.compile(rf"\s*(?P<reg>{_IDENT})\s*(?:\[\s*(?P<idx>[0-9]+)\s*\])?\s*")
_TOKENS = re.compile(r"//[^\n]*|/\*.*?\*/|\"[^\"\n]*\"", re.S)
_NAME_IN_EXPR = re.compile(r"(?<![0-9.])[A-Za-z_πτℇ][A-Za-z0-9_]*")  # not the e of 1e-5
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# statements that are not gate calls, by their first word
_UNSUPPORTED = {"reset", "if", "else", "for", "while", "def", "defcal", "cal", "let", "const", "output", "box",
                "return", "break", "continue", "end", "delay", "extern", "int", "uint", "float", "bool", "angle",
                "complex", "duration", "stretch", "array", "switch", "case", "pragma", "defcalgrammar", "opaque",
                "gphase"}


class QasmError(UserError):
    """A problem at a place of the program: ``line`` (1-based), ``column`` (1-based, 0 when unknown)."""

    def __init__(self, line: int, message: str, column: int = 0):
        self.line, self.column, self.message = line, column, message
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class Angle:
    """One gate argument: ``kind`` "const" (``value``; ``text`` the expression as written, spaces removed),
    "name" (a declared or ``_w_N_`` / ``_x_N_`` parameter standing alone) or "expr" (arithmetic on parameters)."""

    kind: str
    text: str
    value: float = 0.0
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class GateCall:
    name: str
    qubits: tuple[int, ...]
    angles: tuple[Angle, ...]
    line: int
    column: int
    text: str  # normalised: no whitespace, so two programs' statements compare as strings
    source: str = ""  # as written, runs of whitespace made one space


@dataclass(frozen=True)
class Measurement:
    text: str  # normalised
    line: int


@dataclass
class QasmProgram:
    version: str | None = None
    n_qubits: int | None = None
    register: str | None = None
    register_line: int = 0
    inputs: list[str] = field(default_factory=list)
    calls: list[GateCall] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    last_line: int = 1


class _Positions:
    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


@dataclass(frozen=True)
class _Statement:
    text: str
    offset: int  # of the statement's first non-blank character in the program


def _blank(match: re.Match) -> str:
    s = match.group()
    return s if s.startswith('"') else re.sub(r"[^\n]", " ", s)


def _statements(text: str, pos: _Positions, max_statements: int) -> list[_Statement]:
    """Split at ``;`` (a gate definition runs to its ``}``); comments are blanked first, keeping offsets."""
    s = _TOKENS.sub(_blank, text)
    k = s.find("/*")
    if k >= 0:
        raise QasmError(*_line_col(pos, k, "a /* comment is never closed"))
    for m in re.finditer(r'"[^"\n]*"|"', s):
        if len(m.group()) == 1:
            raise QasmError(*_line_col(pos, m.start(), "a string is never closed"))
    out: list[_Statement] = []
    start, brace = 0, -1
    for m in re.finditer(r"[;{}]", s):
        ch = m.group()
        if ch == "{":
            if brace >= 0:
                raise QasmError(*_line_col(pos, m.start(), "nested '{' blocks are not read here"))
            brace = m.start()
            continue
        if ch == "}":
            if brace < 0:
                raise QasmError(*_line_col(pos, m.start(), "'}' without an opening '{'"))
            brace = -1
            end = m.end()
        elif brace >= 0:
            continue
        else:
            end = m.start()
        piece = s[start:end]
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            out.append(_Statement(piece.strip(), start + lead))
            if len(out) > max_statements:
                raise QasmError(*_line_col(pos, start + lead, f"more than {max_statements} statements; "
                                                               "a task block holds at most that many"))
        start = m.end()
    if brace >= 0:
        raise QasmError(*_line_col(pos, brace, "a '{' is never closed"))
    rest = s[start:]
    if rest.strip():
        k = start + len(rest) - len(rest.lstrip())
        raise QasmError(*_line_col(pos, k, f"{shown(rest.strip().splitlines()[0])} does not end with ';'"))
    return out


def _line_col(pos: _Positions, offset: int, message: str) -> tuple[int, str, int]:
    line, col = pos.at(offset)
    return line, message, col


def _index(digits: str, what: str) -> int:
    if len(digits) > MAX_INDEX_DIGITS:
        raise ValueError(f"{what} index of {len(digits)} digits is out of range")
    return int(digits)


def _split_args(text: str) -> list[tuple[str, int]]:
    """Comma-separated arguments at parenthesis depth 0, with each one's offset in ``text``."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            out.append((text[start:i], start))
            start = i + 1
    out.append((text[start:], start))
    return out


def read_angle(text: str, line: int = 0, column: int = 0) -> Angle:
    """A gate argument: a constant expression (evaluated), a parameter name alone, or an expression of
    parameters (kept as text; the importer says why it cannot take it)."""
    raw = re.sub(r"\s+", "", text)
    if not raw:
        raise QasmError(line, "an empty angle", column)
    inner = raw
    while inner.startswith("(") and inner.endswith(")") and _balanced(inner[1:-1]):
        inner = inner[1:-1]
    names = _NAME_IN_EXPR.findall(inner)
    params = [n for n in names if n not in QASM_CONSTANTS]
    if params:
        bare = inner.lstrip("+")
        kind = "name" if re.fullmatch(_IDENT, bare) else "expr"
        return Angle(kind, bare if kind == "name" else raw, line=line, column=column)
    expr = _NAME_IN_EXPR.sub(lambda m: QASM_CONSTANTS[m.group()], inner)
    try:
        value = evaluate(expr)
    except ExpressionError as exc:
        raise QasmError(line, f"angle {shown(raw)}: {exc}", column) from None
    return Angle("const", expr, value, line, column)


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += c == "("
        depth -= c == ")"
        if depth < 0:
            return False
    return depth == 0


def is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None


@dataclass
class _Reader:
    text: str
    max_statements: int
    max_qubits: int
    prog: QasmProgram = field(default_factory=QasmProgram)

    def __post_init__(self):
        self.pos = _Positions(self.text)

    def fail(self, offset: int, message: str):
        raise QasmError(*_line_col(self.pos, offset, message))

    def read(self) -> QasmProgram:
        stmts = _statements(self.text, self.pos, self.max_statements)
        self.prog.last_line = len(self.pos.starts)
        for st in stmts:
            self.statement(st)
        return self.prog

    def statement(self, st: _Statement) -> None:
        t = st.text
        word = re.match(rf"{_IDENT}|\S", t).group()
        if word == "OPENQASM":
            m = re.fullmatch(r"OPENQASM\s+([0-9.]+)", t)
            if not m or not m.group(1).startswith("3"):
                self.fail(st.offset, f"{shown(t)}: this reads OpenQASM 3 (OPENQASM 3.0;)")
            self.prog.version = m.group(1)
        elif word == "include":
            m = re.fullmatch(r'include\s+"([^"]*)"', t)
            if not m or m.group(1) != "stdgates.inc":
                self.fail(st.offset, f"{shown(t)}: only \"stdgates.inc\" can be included")
        elif word == "input":
            self.input(st)
        elif word in ("qubit", "qreg"):
            self.qubits(st)
        elif word in ("bit", "creg"):
            if not re.fullmatch(rf"(bit\s*(\[\s*[0-9]{{1,{MAX_INDEX_DIGITS}}}\s*\])?\s+{_IDENT}"
                                rf"|creg\s+{_IDENT}\s*\[\s*[0-9]{{1,{MAX_INDEX_DIGITS}}}\s*\])", t):
                self.fail(st.offset, f"{shown(t)}: expected a bit register such as bit[2] meas;")
        elif word == "gate":
            self.definition(st)
        elif word == "barrier":
            return
        elif word == "measure" or re.match(rf"{_IDENT}\s*(\[[^\]]*\])?\s*=\s*measure\b", t):
            line, _ = self.pos.at(st.offset)
            self.prog.measurements.append(Measurement(re.sub(r"\s+", "", t), line))
        elif word in _UNSUPPORTED:
            self.fail(st.offset, f"'{word}' is not read here: a task block holds gates only (and the "
                                 "measurements the export writes)")
        elif "@" in t:
            self.fail(st.offset, "gate modifiers (ctrl @, inv @, pow @) are not read; write the gates out")
        elif re.match(_IDENT, t):
            self.call(st)
        else:
            self.fail(st.offset, f"cannot read {shown(t)}")

    def input(self, st: _Statement) -> None:
        m = re.fullmatch(rf"input\s+(float|angle)\s*(\[\s*[0-9]{{1,3}}\s*\])?\s+({_IDENT})", st.text)
        if not m:
            self.fail(st.offset, f"{shown(st.text)}: expected an angle parameter such as input float[64] theta;")
        name = m.group(3)
        if name in self.prog.inputs or name == self.prog.register:
            self.fail(st.offset, f"{shown(name)} is declared twice")
        self.prog.inputs.append(name)

    def qubits(self, st: _Statement) -> None:
        m = re.fullmatch(rf"qubit\s*\[\s*([0-9]+)\s*\]\s*({_IDENT})", st.text)
        if not m:
            if st.text.startswith("qreg"):
                self.fail(st.offset, "'qreg' is OpenQASM 2; declare the register as qubit[4] q;")
            self.fail(st.offset, f"{shown(st.text)}: expected one qubit register such as qubit[4] q;")
        if self.prog.register is not None:
            self.fail(st.offset, f"a second qubit register {shown(m.group(2))}: the circuit has one register, "
                                 f"{self.prog.register}")
        digits = m.group(1)
        n = int(digits) if len(digits) <= MAX_INDEX_DIGITS else self.max_qubits + 1
        if not 1 <= n <= self.max_qubits:
            self.fail(st.offset, f"qubit[{digits[:12]}]: a register of 1 to {self.max_qubits} qubits")
        self.prog.n_qubits, self.prog.register = n, m.group(2)
        self.prog.register_line = self.pos.at(st.offset)[0]

    def definition(self, st: _Statement) -> None:
        """Only Qiskit's ``rzz`` (``cx a, b; rz(p) b; cx a, b;``) is a known definition; any other could
        mean anything and is refused rather than guessed."""
        m = re.fullmatch(rf"gate\s+({_IDENT})\s*(?:\(\s*({_IDENT})\s*\))?\s*({_IDENT})\s*,\s*({_IDENT})\s*"
                         r"\{(.*)\}", st.text, re.S)
        name = re.match(rf"gate\s+({_IDENT})", st.text)
        shown_name = shown(name.group(1)) if name else "this gate"
        if m and m.group(1) == "rzz" and m.group(2):
            p, a, b = m.group(2), m.group(3), m.group(4)
            body = [re.sub(r"\s+", "", s) for s in _TOKENS.sub(_blank, m.group(5)).split(";") if s.strip()]
            if body == [f"cx{a},{b}", f"rz({p}){b}", f"cx{a},{b}"]:
                return
        self.fail(st.offset, f"gate definitions are not imported ({shown_name}); write its gates out")

    def call(self, st: _Statement) -> None:
        t = st.text
        name = re.match(_IDENT, t).group()
        rest_at = len(name)
        args: list[Angle] = []
        k = rest_at + len(t[rest_at:]) - len(t[rest_at:].lstrip())
        if t[k:k + 1] == "(":
            depth, end = 0, -1
            for i in range(k, len(t)):
                depth += t[i] == "("
                depth -= t[i] == ")"
                if depth == 0:
                    end = i
                    break
            if end < 0:
                self.fail(st.offset + k, f"{name}: a '(' is never closed")
            for arg, off in _split_args(t[k + 1:end]):
                line, col = self.pos.at(st.offset + k + 1 + off + len(arg) - len(arg.lstrip()))
                args.append(read_angle(arg, line, col))
            rest_at = end + 1
        else:
            rest_at = k
        qubits = []
        operands = t[rest_at:]
        if not operands.strip():
            self.fail(st.offset, f"{name} names no qubit (write e.g. {name} q[0];)")
        for text, off in _split_args(operands):
            at = st.offset + rest_at + off + len(text) - len(text.lstrip())
            m = _OPERAND.fullmatch(text)
            if not m and "\n" in text.strip():  # the next line read as more operands: a ';' is missing
                self.fail(st.offset, f"{shown(t.splitlines()[0].strip())} does not end with ';'")
            if not m:
                self.fail(at, f"{shown(text.strip())} is not a qubit (write q[0])")
            qubits.append(self.qubit(m, at))
        line, col = self.pos.at(st.offset)
        self.prog.calls.append(GateCall(name, tuple(qubits), tuple(args), line, col, re.sub(r"\s+", "", t),
                                       re.sub(r"\s+", " ", t)))

    def qubit(self, m: re.Match, at: int) -> int:
        reg, digits = m.group("reg"), m.group("idx")
        if self.prog.register is None:
            self.fail(at, "a gate before the qubit register is declared (qubit[4] q;)")
        if reg != self.prog.register:
            self.fail(at, f"unknown qubit register {shown(reg)} (the circuit's qubits are "
                          f"{self.prog.register}[0]..{self.prog.register}[{self.prog.n_qubits - 1}])")
        if digits is None:
            self.fail(at, f"apply gates to single qubits such as {reg}[0] (not the whole register {reg})")
        n = self.prog.n_qubits
        if len(digits) > MAX_INDEX_DIGITS or int(digits) >= n:
            self.fail(at, f"qubit {reg}[{digits[:12]}] out of range, the circuit has {n}")
        return int(digits)


def read_qasm(text: str, *, max_statements: int, max_qubits: int) -> QasmProgram:
    """The program's declarations, gate calls and measurements, or ``QasmError`` at the first problem."""
    if not isinstance(text, str):
        raise QasmError(0, "the program is not text")
    if len(text) > MAX_CHARS:
        raise QasmError(0, f"the program has {len(text)} characters (at most {MAX_CHARS})")
    if "\x00" in text:
        raise QasmError(_Positions(text).at(text.index("\x00"))[0], "a NUL character (the file is not text)")
    return _Reader(text, max_statements, max_qubits).read()
