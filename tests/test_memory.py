"""A long build gives freed memory back to the system (studygen.memory)."""

from __future__ import annotations

import pytest

from studygen.memory import _trim, give_back_free_memory


def _resident_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(_trim() is None, reason="glibc only")
def test_freed_blocks_between_live_ones_are_given_back() -> None:
    # Page-sized strings freed between small blocks that stay, as a build's pages are freed between its records:
    # glibc keeps the holes until asked.
    kept, freed = [], []
    for n in range(2000):
        freed.append(bytes(100_000) + n.to_bytes(4, "big"))
        kept.append(bytes(600) + n.to_bytes(4, "big"))
    freed.clear()
    before = _resident_mib()
    give_back_free_memory()
    assert before - _resident_mib() > 100  # of the ~190 MB freed
    assert len(kept) == 2000
