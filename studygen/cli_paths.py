"""A click path parameter that gives pathlib.Path values without importing pathlib at start-up.

pathlib (with urllib.parse and fnmatch, which it imports) was ~12 ms of the ~100 ms that `studygen --help` spends
importing; click itself does not need it. The command functions get `Path` values as before.
"""

from __future__ import annotations

import os
from typing import Any

import click


class PathParam(click.Path):
    def coerce_path_result(self, value: str | os.PathLike[str]) -> Any:
        from pathlib import Path

        return Path(value)
