"""The only code that writes into the output folder.

A build's files are written into a fresh temporary folder beside the output folder, then swapped in with two
renames, so a failed or interrupted build never leaves a half-written output and never loses the previous one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from studygen.errors import OutputError

Outputs = Mapping[str, bytes]


def check_relative(relative: str) -> PurePosixPath:
    """Refuse output paths that are absolute or climb out of the output folder."""
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts or relative != path.as_posix():
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    return path


def write_outputs(outputs: Outputs, out_dir: Path) -> None:
    """Replace out_dir with exactly these files, atomically as far as the file system allows."""
    out_dir = out_dir.resolve()
    for relative in outputs:
        check_relative(relative)
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    except OSError as error:
        raise OutputError(f"cannot create the output folder in {parent}: {error.strerror}") from error
    try:
        for relative in sorted(outputs):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(outputs[relative])
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a published site must be readable
        _swap(staging, out_dir)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write the output into {out_dir}: {error.strerror}") from error
    except BaseException:  # interrupted (Ctrl-C): leave the previous output as it was
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    if not out_dir.is_dir():
        raise OutputError(f"the output path {out_dir} exists and is not a folder")
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except BaseException:
        old.rename(out_dir)  # put the previous output back before reporting
        raise
    shutil.rmtree(old, ignore_errors=True)
