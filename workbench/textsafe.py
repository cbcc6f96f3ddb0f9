"""User strings made safe to print, to use in file names and to reason about.

Names and values come from files people share, so they may hold terminal escapes, bidi overrides that reorder
what a reader sees, NUL, newlines or megabytes of text. Messages show them through ``shown`` (escaped and cut to
a readable length); file names derived from them go through ``safe_filename``.
"""

from __future__ import annotations

import html
import re
import unicodedata

MESSAGE_VALUE_CHARS = 80  # a value quoted in a message is cut to this many characters
FILENAME_CHARS = 80

# Bidi embeddings/overrides/isolates and zero-width characters change what a reader sees without being visible.
_INVISIBLE = set("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def is_unsafe_char(c: str) -> bool:
    """Control, format (bidi, zero-width), surrogate or unassigned characters."""
    return c in _INVISIBLE or unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def escape(text: str) -> str:
    """Every unsafe character as a visible escape (``\\x1b``, ``\\u202e``); the rest unchanged."""
    out = []
    for c in text:
        if is_unsafe_char(c):
            code = ord(c)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(c)
    return "".join(out)


def markup(value: object) -> str:
    """``value`` as literal text inside rich text (Qt labels, HTML): ``&``, ``<`` and ``>`` escaped."""
    return html.escape(str(value), quote=False)


def clip(text: str, limit: int = MESSAGE_VALUE_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def shown(value: object, limit: int = MESSAGE_VALUE_CHARS) -> str:
    """``value`` for a one-line message: quoted like repr for strings, escaped, cut to ``limit`` characters."""
    if isinstance(value, str):
        body = escape(value[:limit]).replace("'", "\\'")
        return f"'{body}'" + (f"... ({len(value)} characters)" if len(value) > limit else "")
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not replace the message being built
        text = f"<{type(value).__name__}>"
    if len(text) > 4 * limit:
        text = text[: 4 * limit]
    return escape(clip(text, limit))


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message, escaped and cut; its type name when the message is empty."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return escape(clip(line, limit))


def safe_filename(text: str, limit: int = FILENAME_CHARS) -> str:
    """A file-name component from a user string: letters, digits, ``-``, ``_`` and ``.``, no leading dot, no path
    separators or control characters, never empty, at most ``limit`` characters (a hash tail keeps long or
    rewritten names apart)."""
    import hashlib

    norm = unicodedata.normalize("NFKC", text)
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "_", norm).strip("._-") or "x"
    if clean != text or len(clean) > limit:
        tail = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        clean = f"{clean[: max(1, limit - 9)]}-{tail}"
    return clean


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def is_identifier_like(text: str) -> bool:
    return bool(IDENTIFIER.fullmatch(text))
