"""The one error type of a build: a list of located problems that the CLI prints and exits 1 on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in the content, located as precisely as we can."""

    path: str
    line: int
    column: int
    field: str
    message: str
    hint: str = ""
    severity: str = "error"  # "error" or "warning"

    def format(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        field = f" {self.field}:" if self.field else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        label = "" if self.severity == "error" else " warning:"
        return f"{where}:{label}{field} {self.message}{hint}"


class ContentError(Exception):
    """Raised when content has problems; carries all of them, never just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__(self.report())

    def report(self) -> str:
        lines = [p.format() for p in self.problems]
        errors = sum(1 for p in self.problems if p.severity == "error")
        warnings = len(self.problems) - errors
        lines.append(f"{errors} error(s), {warnings} warning(s); nothing was written.")
        return "\n".join(lines)


class OutputError(Exception):
    """Raised when the output folder cannot be written (read-only, full disk, bad path)."""


def display_path(path: Path, root: Path) -> str:
    """A path as the author sees it: relative to the course's parent where possible."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)
