"""Errors that reach users. Every one is located and printable without a traceback."""

from __future__ import annotations


class DoptError(Exception):
    """Base class: ``exit_code`` is what the CLI exits with."""

    exit_code = 1

    def render(self) -> str:
        return f"error: {self}"


class UsageError(DoptError):
    exit_code = 2


class DockerfileSyntaxError(DoptError):
    """A located syntax error: file, line, column, the line, a caret, what was expected."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int = 0,
                 column: int = 1, line_text: str | None = None, expected: str | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.line_text = line_text
        self.expected = expected
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.path or '<string>'}:{self.line}:{self.column}"
        out = [f"{where}: error: {self.message}"]
        if self.line_text is not None:
            text = self.line_text.rstrip("\r\n")
            out.append(f"  {self.line:>4} | {text}")
            out.append("       | " + " " * max(self.column - 1, 0) + "^")
        if self.expected:
            out.append(f"  expected: {self.expected}")
        return "\n".join(out)


class EngineUnavailable(DoptError):
    """No Docker engine answers, or it lacks a needed feature."""

    exit_code = 3


class BuildFailed(DoptError):
    exit_code = 4


class VerificationFailed(DoptError):
    exit_code = 5
