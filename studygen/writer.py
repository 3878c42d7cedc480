"""The only code that writes into the output folder.

A build's files are written into a fresh temporary folder beside the output folder, then swapped in: on Linux
with one atomic exchange of the two folders (renameat2 with RENAME_EXCHANGE), elsewhere with two renames. A failed
or interrupted build never leaves a half-written output and never loses the previous one; two builds running at
once each write their own temporary folder, and the last to finish wins with a complete output.

A file whose bytes are the same as in the previous output is not written again but hard-linked from it (it keeps
its modification time, so that tools like rsync see it unchanged); linking costs a tenth of writing here, and a
rebuild after a small edit changes few files. Only a regular file of the previous output is linked, compared byte
for byte, or read and checked by the caller just before (the output cache keeps only regular files whose SHA-256
it recorded); where linking fails (a file system without hard links) the file is written.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path, PurePosixPath

from studygen.errors import OutputError

Outputs = Mapping[str, bytes]


def check_relative(relative: str) -> PurePosixPath:
    """Refuse output paths that are absolute or climb out of the output folder."""
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts or relative != path.as_posix():
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    return path


def write_outputs(outputs: Outputs, out_dir: Path, checked: Collection[str] = ()) -> None:
    """Replace out_dir with exactly these files, atomically as far as the file system allows. `checked`: outputs
    that the caller read from out_dir moments ago and found to hold these bytes (the output cache, by SHA-256),
    linked without reading them a second time."""
    out_dir = out_dir.resolve()
    for relative in outputs:
        check_relative(relative)
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(out_dir)
        staging = Path(tempfile.mkdtemp(prefix=f"{_temp_prefix(out_dir)}{os.getpid()}-", dir=parent))
    except OSError as error:
        raise OutputError(f"cannot create the output folder in {parent}: {error.strerror}") from error
    try:
        folders: set[str] = set()
        previous = str(out_dir) if out_dir.is_dir() else None
        for relative in sorted(outputs):
            old = os.path.join(previous, relative) if previous else None
            _write_file(os.path.join(staging, relative), outputs[relative], folders, old, relative in checked)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a published site must be readable
        _swap(staging, out_dir)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write the output into {out_dir}: {error.strerror}") from error
    except BaseException:  # interrupted (Ctrl-C): leave the previous output as it was
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_file(path: str, data: bytes, folders: set[str], previous: str | None = None, checked: bool = False) -> None:
    """A new file in the staging folder, linked from `previous` if that holds the same bytes (known to, if
    `checked`). Plain system calls, and each folder made once: a course writes thousands of files, and pathlib's
    checks and buffered streams were half the writer's time."""
    folder = os.path.dirname(path)
    if folder not in folders:
        os.makedirs(folder, exist_ok=True)
        folders.add(folder)
    if previous is not None and (checked or _holds(previous, data)):
        try:
            os.link(previous, path, follow_symlinks=False)
            return
        except OSError:
            pass  # no hard links here: write it
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _holds(path: str, data: bytes) -> bool:
    """Whether `path` is a regular file (not a link to one) with exactly these bytes."""
    return regular_file_bytes(path, len(data)) == data


def regular_file_bytes(path: str | Path, size: int | None = None) -> bytes | None:
    """The bytes of a regular file; None for anything else (missing, a folder, a symbolic link even to a regular
    file), or when `size` is given and the file has another size."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or size not in (None, status.st_size):
            return None
        return os.read(descriptor, status.st_size + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _temp_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}.tmp-"


def _remove_abandoned(out_dir: Path) -> None:
    """Remove temporary folders left by builds that were killed outright (SIGKILL, power loss)."""
    for candidate in out_dir.parent.glob(f"{_temp_prefix(out_dir)}*"):
        pid = candidate.name.removeprefix(_temp_prefix(out_dir)).split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(candidate, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, run by someone else
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step where the system can (Linux 3.15+). False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # an old kernel or a file system without exchange: fall back to two renames
    raise OSError(code, os.strerror(code))


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    if not out_dir.is_dir():
        raise OutputError(f"the output path {out_dir} exists and is not a folder")
    if _exchange(staging, out_dir):
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the previous output
        return
    old = Path(tempfile.mkdtemp(prefix=f"{_temp_prefix(out_dir)}{os.getpid()}-old-", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except BaseException:
        old.rename(out_dir)  # put the previous output back before reporting
        raise
    shutil.rmtree(old, ignore_errors=True)
