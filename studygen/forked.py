"""One piece of work done in a forked child process while this process goes on with another.

A build renders its site, its Anki decks and its quiz exports from the same checked course, and none of them needs
the others: on a machine with two or more cores the decks and exports are rendered in a child while the parent
renders the site. The child is a fork, so it starts with the course already loaded and checked (nothing is sent to
it), and it sends its result back pickled over a pipe.

The child is only a way to save time, never a second way to fail: if it cannot be started, dies, or raises, the
parent does the work itself, so an error is raised (and reported) exactly as in a build without a child. Where
forking is unsafe (not Linux; other threads running, as under `studygen serve`) the work runs in the parent.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    return sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1 and threading.active_count() == 1


class Forked(Generic[T]):
    """`with Forked(work) as side: ...; value = side.result()`. Leaving the block early kills the child."""

    def __init__(
        self, work: Callable[[], T], *, in_child: Callable[[], None] | None = None, may_fork: bool | None = None
    ) -> None:
        self.work = work
        self.in_child = in_child  # runs first in the child, e.g. to open its own connections
        self.may_fork = may_fork  # None: as can_fork() says when the block is entered
        self.pid: int | None = None
        self.pipe: int | None = None

    def __enter__(self) -> Forked[T]:
        if not (can_fork() if self.may_fork is None else self.may_fork):
            return self
        read, write = os.pipe()
        # Ctrl-C and SIGTERM wait while the child is made: neither process may see one half-way through.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            try:
                pid = os.fork()
            except OSError:
                os.close(read)
                os.close(write)
                return self
            if pid == 0:
                try:
                    os.close(read)
                    self._child(write, mask)
                finally:
                    os._exit(1)  # whatever happened, the child never goes back into the parent's code
            os.close(write)
            self.pid, self.pipe = pid, read
        finally:
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal that came meanwhile is handled now
            except BaseException:
                self.__exit__()
                raise
        return self

    def _child(self, pipe: int, mask: set[signal.Signals]) -> None:
        # A Ctrl-C reaches the whole process group: the child just ends; the parent reports the interruption.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        try:
            if self.in_child is not None:
                self.in_child()
            payload = pickle.dumps(self.work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(pipe, "wb") as stream:
                stream.write(payload)
            code = 0
        except BaseException:  # the parent sees an empty or short message and does the work itself
            code = 1
        os._exit(code)  # no atexit handlers, no buffers of the parent flushed twice

    def result(self) -> T:
        if self.pid is None:
            return self.work()
        assert self.pipe is not None
        with os.fdopen(self.pipe, "rb") as stream:
            self.pipe = None
            payload = stream.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if os.waitstatus_to_exitcode(status) == 0:
            try:
                return pickle.loads(payload)
            except Exception:
                pass
        return self.work()

    def __exit__(self, *exception: object) -> None:
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = None
