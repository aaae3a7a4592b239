"""Student strings made inert for where they are shown: a spreadsheet cell, a terminal, a
Markdown page, a matplotlib figure.

Every string a submission controls (its file name, the exercise id in its metadata, the
messages of its cells, what its training reports) and every roster value is data, never an
instruction to the program that shows it. Call the helper of the place it lands:

    spreadsheet_cell(value)  one CSV cell: a leading =, +, -, @, tab or carriage return (and
                             their full-width forms, which some spreadsheets fold) gets a `'`
                             prefix, so the cell is read as text, not as a formula; a plain
                             number (-3, +2.5) stays a number, so grades import as grades
    spreadsheet_row(values)  each cell of a row so (export/files.write_csv writes whole files)
    terminal_text(value)     one line for a terminal: every control or format character
                             (ESC, BEL, CR, newline, bidirectional overrides, zero-width
                             characters) and every lone surrogate written as a visible escape
    markdown_text(value)     one line of Markdown that renders as exactly its text: no tag,
                             link, image, emphasis, code span, table or math can start in it
    markdown_prose(value)    one line of Markdown the course wrote (a check's message or hint)
                             that may quote a student's value: its code spans and emphasis
                             stay, but no tag, link, image or math can start in it
    plot_text(value)         a matplotlib label drawn as its text, never as mathtext
    plain_plots()            a context in which figures use no LaTeX (`text.usetex` off), so
                             no label is handed to a TeX process, whatever the matplotlibrc says
    escape_unsafe(text, keep)  the escaping under all of them, for a place of its own

The set of characters is by Unicode category (Cc, Cf, Cs, Zl, Zp), not a list of known escape
sequences: a terminal interprets far more sequences than anyone can list, and they all start
with a control character. The spreadsheet rule follows OWASP's advice on CSV injection.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from typing import overload

# What a spreadsheet may read as the start of a formula (Excel, LibreOffice, Google Sheets),
# with the full-width forms that some of them fold to ASCII.
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# ASCII punctuation that can start Markdown (CommonMark, GitHub's tables and strikethrough,
# the $ math of Jupyter and GitLab) or an HTML tag or entity. Each is escaped with a
# backslash, which CommonMark defines for every ASCII punctuation character.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#!|~&$])")
# What can start a tag, a link, an image or math in text whose code spans and emphasis are meant.
MARKDOWN_ACTIVE = re.compile(r"([\\<>\[\]$])")
# At the start of a line, a list item, a setext heading's underline or an ordered list.
MARKDOWN_LINE_START = re.compile(r"^(?:([-+=])|(\d+)\.)")
MAX_PLOT_LABEL = 60


def _visible(char: str) -> str:
    """An unsafe character as the escape Python would write for it."""
    code = ord(char)
    if code < 0x100:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{code:02x}")
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_unsafe(text: str, keep: str = "") -> str:
    """`text` with every control, format and separator character and every lone surrogate
    (which no encoder can write) escaped, except the characters in `keep`."""
    if text.isprintable() and not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text  # the common case, at the speed of one C call
    return "".join(
        _visible(c) if c not in keep and unicodedata.category(c) in UNSAFE_CATEGORIES else c
        for c in text
    )


@overload
def spreadsheet_cell(value: str) -> str: ...
@overload
def spreadsheet_cell(value: object) -> str | int | float: ...
def spreadsheet_cell(value):
    """One CSV cell that a spreadsheet shows as its text. Numbers (int, float) pass as they
    are; a string keeps its line breaks and tabs inside (CSV quotes them), loses other control
    characters to visible escapes, and gets a `'` in front where it could start a formula."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = escape_unsafe("" if value is None else str(value), keep="\n\r\t")
    if not text or PLAIN_NUMBER.fullmatch(text.strip()):
        return text
    if text[0] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def spreadsheet_row(values) -> list:
    return [spreadsheet_cell(v) for v in values]


def terminal_text(value) -> str:
    """One line of text that a terminal prints as it reads: no escape sequence, no line break,
    no carriage return that would draw over the line (or over a progress bar)."""
    return escape_unsafe("" if value is None else str(value))


def markdown_text(value) -> str:
    """One line of Markdown (white space folded) that renders as exactly `value`."""
    text = " ".join(escape_unsafe("" if value is None else str(value), keep="\n\r\t").split())
    text = MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return MARKDOWN_LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\.", text)


def markdown_prose(value) -> str:
    """One line of Markdown written by the course, with student values quoted in it: kept as
    Markdown, except that no HTML tag, link, image or math can start in it."""
    text = " ".join(escape_unsafe("" if value is None else str(value), keep="\n\r\t").split())
    return MARKDOWN_ACTIVE.sub(r"\\\1", text)


def plot_text(value, limit: int = MAX_PLOT_LABEL) -> str:
    """A label for a matplotlib figure, drawn as its text: every `$` escaped (matplotlib reads
    text between two unescaped dollars as mathtext, and a malformed formula fails the whole
    figure), control characters escaped, and at most `limit` characters."""
    text = terminal_text(value)
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text.replace("$", r"\$")


@contextlib.contextmanager
def plain_plots():
    """Figures drawn inside use matplotlib's own text engine, never an external LaTeX."""
    import matplotlib

    with matplotlib.rc_context({"text.usetex": False}):
        yield
