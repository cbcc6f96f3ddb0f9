"""A few colouring rules for the code view (keywords, numbers, strings, comments): enough to read by. Parameter
names (``_w_3_``) keep the text colour: a thin coloured underscore all but vanishes at code sizes."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat

# mid-tone colours that read on the light and the dark theme alike
_KEYWORD, _NUMBER, _PARAM, _COMMENT, _STRING = "#3f7fd0", "#d0782a", "#a35fc0", "#8a8a8a", "#3a9a6a"

QASM_RULES = [
    (r"\b(OPENQASM|include|input|float|angle|qubit|bit|gate|measure|barrier)\b", _KEYWORD, True),
    (r"\b(pi|tau|euler)\b|(?<![A-Za-z0-9_.])[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?", _NUMBER, False),
    (r'"[^"\n]*"', _STRING, False),
    (r"//.*$", _COMMENT, False),
]
PYTHON_RULES = [
    (r"\b(import|def|return|for|in|if|else|as|None|True|False|__name__)\b", _KEYWORD, True),
    (r"(?<![A-Za-z0-9_.])[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?", _NUMBER, False),
    (r"\bqml\.[A-Za-z]+\b", _PARAM, False),
    (r"'[^'\n]*'|\"[^\"\n]*\"", _STRING, False),
    (r"#.*$", _COMMENT, False),
]


class RuleHighlighter(QSyntaxHighlighter):
    """Colours matches of ``rules`` (pattern, colour, bold), later rules over earlier ones (comments last)."""

    def __init__(self, document, rules):
        super().__init__(document)
        self.rules = []
        for pattern, colour, bold in rules:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if bold:
                fmt.setFontWeight(QFont.Weight.Bold)
            self.rules.append((re.compile(pattern), fmt))

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt's name)
        for pattern, fmt in self.rules:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), fmt)
