"""The only code that writes into the output folder.

A build's files are written into a fresh temporary folder beside the output folder as they are rendered (a
`Staging`), then swapped in: on Linux with one atomic exchange of the two folders (renameat2 with
RENAME_EXCHANGE), elsewhere with two renames. A failed or interrupted build never leaves a half-written output and
never loses the previous one; two builds running at once each write their own temporary folder, and the last to
finish wins with a complete output. Writing as the build goes, rather than holding every file until the end, keeps
a build's memory to what it is working on (a 5,000-topic course's outputs are ~1 GB).

A file whose bytes are the same as in the previous output is not written again but hard-linked from it (it keeps
its modification time, so that tools like rsync see it unchanged); linking costs a tenth of writing here, and a
rebuild after a small edit changes few files. Only a regular file of the previous output is linked, compared byte
for byte, or read and checked by the output cache just before (it keeps only regular files whose SHA-256 it
recorded); where linking fails (a file system without hard links) the file is written.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Protocol

from studygen.errors import OutputError

# Output paths -> SHA-256 of their bytes, of the files put since a fork (see `forked()`), or their bytes.
WrittenChanges = dict[str, str] | dict[str, bytes]


class Outputs(Protocol):
    """Where a build's renderers put their files, by path under the output folder."""

    digests: dict[str, str]  # path -> SHA-256 of every file put so far

    def put(self, path: str, data: bytes) -> None: ...

    def read(self, path: str) -> bytes: ...

    def write(self, path: str, pieces: Iterable[bytes]) -> None:
        """`put` a file given in pieces."""

    def forked(self) -> None:
        """In a forked child: from now on, note what this process puts, for `changes()`."""

    def changes(self) -> WrittenChanges:
        """What this process put since `forked()`: handed from the child to its parent's `merge`."""

    def merge(self, changes: WrittenChanges) -> None: ...


class MemoryOutputs(dict[str, bytes]):
    """Outputs held in memory (for tests and tools that look at a build without writing it)."""

    def __init__(self) -> None:
        super().__init__()
        self.digests: dict[str, str] = {}
        self.since_fork: list[str] = []

    def put(self, path: str, data: bytes) -> None:
        check_relative(path)
        self[path] = data
        self.digests[path] = hashlib.sha256(data).hexdigest()
        self.since_fork.append(path)

    def read(self, path: str) -> bytes:
        return self[path]

    def write(self, path: str, pieces: Iterable[bytes]) -> None:
        self.put(path, b"".join(pieces))

    def forked(self) -> None:
        self.since_fork = []

    def changes(self) -> dict[str, bytes]:
        return {path: self[path] for path in self.since_fork}

    def merge(self, changes: WrittenChanges) -> None:
        for path, data in changes.items():
            assert isinstance(data, bytes)
            self.put(path, data)


class Staging:
    """The next output folder, filled as the build goes: `with Staging(out_dir) as staging: ...put...;
    staging.commit()`. Leaving the block without committing (an error, Ctrl-C) removes it and leaves the previous
    output as it was. `checked(path)`: the SHA-256 of a file the caller read from the previous output moments ago
    and found to hold the bytes it is about to put (the output cache), which is then linked without a second read.
    A forked child may put files into the same folder (see `forked()`)."""

    def __init__(self, out_dir: Path, checked: Callable[[str], str | None] = lambda path: None) -> None:
        self.out_dir = out_dir.resolve()
        self.checked = checked
        self.digests: dict[str, str] = {}
        self.since_fork: list[str] = []
        self.folders: set[str] = set()
        parent = self.out_dir.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            _remove_abandoned(self.out_dir)
            self.folder = tempfile.mkdtemp(prefix=f"{_temp_prefix(self.out_dir)}{os.getpid()}-", dir=parent)
        except OSError as error:
            raise OutputError(f"cannot create the output folder in {parent}: {error.strerror}") from error
        self.previous = str(self.out_dir) if self.out_dir.is_dir() else None
        self.committed = False

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if not self.committed:
            shutil.rmtree(self.folder, ignore_errors=True)

    def put(self, path: str, data: bytes) -> None:
        check_relative(path)
        digest = self.checked(path)
        old = os.path.join(self.previous, path) if self.previous else None
        target = os.path.join(self.folder, path)
        try:
            try:
                _write_file(target, data, self.folders, old, digest is not None)
            except FileExistsError:  # put by a forked child that then failed: its work is being done again here
                os.unlink(target)
                _write_file(target, data, self.folders, old, digest is not None)
        except OSError as error:
            raise self._failed(error) from error
        self.digests[path] = digest or hashlib.sha256(data).hexdigest()
        self.since_fork.append(path)

    def write(self, path: str, pieces: Iterable[bytes]) -> None:
        """A file put piece by piece, never whole in memory (the manifest, the build's records); linked from the
        previous output instead if that held the same bytes, as `put` does."""
        check_relative(path)
        target = os.path.join(self.folder, path)
        digest, size = hashlib.sha256(), 0
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "xb") as file:
                for piece in pieces:
                    file.write(piece)
                    digest.update(piece)
                    size += len(piece)
        except OSError as error:
            raise self._failed(error) from error
        self.digests[path] = digest.hexdigest()
        self.since_fork.append(path)
        old = os.path.join(self.previous, path) if self.previous else None
        if old is not None and _file_digest(old, size) == self.digests[path]:
            with contextlib.suppress(OSError):  # no hard links here: the file written stays
                os.link(old, target + ".same")
                os.replace(target + ".same", target)

    def read(self, path: str) -> bytes:
        with open(os.path.join(self.folder, path), "rb") as file:
            return file.read()

    def forked(self) -> None:
        self.since_fork = []

    def changes(self) -> dict[str, str]:
        return {path: self.digests[path] for path in self.since_fork}

    def merge(self, changes: WrittenChanges) -> None:
        for path, digest in changes.items():
            assert isinstance(digest, str)
            self.digests[path] = digest

    def commit(self) -> None:
        """Swap the filled folder in as the output folder."""
        try:
            os.chmod(self.folder, 0o755)  # mkdtemp makes it private; a published site must be readable
            _swap(Path(self.folder), self.out_dir)
        except OSError as error:
            raise self._failed(error) from error
        self.committed = True

    def _failed(self, error: OSError) -> OutputError:
        return OutputError(f"cannot write the output into {self.out_dir}: {error.strerror}")


def check_relative(relative: str) -> None:
    """Refuse output paths that are absolute or climb out of the output folder, or that are not written plainly
    ("a//b", "./a", "a/"): what PurePosixPath would not give back as written. By splitting, not by PurePosixPath,
    which was ~10% of a rebuild's writing (every file of the output is put on every build)."""
    parts = relative.split("/")
    if not relative or "" in parts or "." in parts or ".." in parts:
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")


def write_outputs(outputs: Mapping[str, bytes], out_dir: Path) -> None:
    """Replace out_dir with exactly these files, atomically as far as the file system allows."""
    for relative in outputs:
        check_relative(relative)  # all refused before anything is written
    with Staging(out_dir) as staging:
        for relative in sorted(outputs):
            staging.put(relative, outputs[relative])
        staging.commit()


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
            pass  # no hard links here (or the file is there already: then opening it says so): write it
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _file_digest(path: str, size: int) -> str | None:
    """The SHA-256 of a regular file (not a link to one) of this size, read in pieces; None if there is none (a
    file of another size is not read: the records of a 5,000-topic course are ~23 MB)."""
    try:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode) or status.st_size != size:
            return None
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return None


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
