"""A long build gives freed memory back to the system (studygen.memory)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from studygen.memory import _trim

# Page-sized strings freed between small blocks that stay, as a build's pages are freed between its records: glibc
# keeps the holes until asked. Run in a fresh interpreter, whose heap holds nothing else (in a process that has run
# other tests, the blocks fill holes that were already resident).
_SCRIPT = """
from studygen.memory import give_back_free_memory

def resident_mib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

kept, freed = [], []
for n in range(2000):
    freed.append(bytes(100_000) + n.to_bytes(4, "big"))
    kept.append(bytes(600) + n.to_bytes(4, "big"))
freed.clear()
before = resident_mib()
give_back_free_memory()
print(before - resident_mib(), len(kept))
"""


@pytest.mark.skipif(_trim() is None, reason="glibc only")
def test_freed_blocks_between_live_ones_are_given_back() -> None:
    result = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True)
    given_back, kept = result.stdout.split()
    assert float(given_back) > 100 and kept == "2000"  # of the ~190 MB freed
