"""Where the user's code is: the innermost frame outside this package, recorded cheaply.

Recording keeps only the frame's code object and bytecode offset; the line number (which
CPython computes from the offset, slowly) is worked out only when a message is formatted.
"""

from __future__ import annotations

import os
import sys
from types import CodeType
from typing import Any

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


class Location:
    """A source position that formats as ``file:line`` on demand."""

    __slots__ = ("code", "lasti")

    def __init__(self, code: CodeType | None, lasti: int) -> None:
        self.code = code
        self.lasti = lasti

    @property
    def lineno(self) -> int | None:
        """The line of the recorded bytecode offset."""
        if self.code is None:
            return None
        for start, end, line in self.code.co_lines():
            if start <= self.lasti < end:
                return line
        return self.code.co_firstlineno

    def __str__(self) -> str:
        if self.code is None:
            return "<unknown>"
        return f"{self.code.co_filename}:{self.lineno}"

    __repr__ = __str__


def user_location() -> Location:
    """The innermost frame outside the rustytorch package (about 0.2 us: no traceback, no line lookup)."""
    f: Any = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
        f = f.f_back
    if f is None:
        return Location(None, 0)
    return Location(f.f_code, f.f_lasti)
