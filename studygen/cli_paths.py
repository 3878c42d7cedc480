"""A click path parameter that gives pathlib.Path values without importing pathlib at start-up.

Click itself does not need pathlib, and pathlib brings urllib.parse and fnmatch with it: without them
`studygen --help` ran 6-7 ms faster here (medians of 15), within its 150 ms budget. The command functions get `Path`
values as before.
"""

from __future__ import annotations

import os
from typing import Any

import click


class PathParam(click.Path):
    def coerce_path_result(self, value: str | os.PathLike[str]) -> Any:
        from pathlib import Path

        return Path(value)
