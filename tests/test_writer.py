"""The writer links files that are unchanged since the previous output, and writes every other file afresh."""

from __future__ import annotations

import os
from pathlib import Path

from studygen.writer import write_outputs


def test_unchanged_files_are_linked_from_the_previous_output_and_changed_ones_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs({"a.html": b"same", "b.html": b"old", "c/d.txt": b"kept"}, out)
    before = {name: (out / name).stat() for name in ("a.html", "b.html", "c/d.txt")}
    write_outputs({"a.html": b"same", "b.html": b"new", "c/d.txt": b"kept", "e.txt": b"added"}, out)
    after = {name: (out / name).stat() for name in ("a.html", "b.html", "c/d.txt")}
    assert after["a.html"].st_ino == before["a.html"].st_ino
    assert after["c/d.txt"].st_ino == before["c/d.txt"].st_ino
    assert after["a.html"].st_mtime_ns == before["a.html"].st_mtime_ns  # rsync and friends see it unchanged
    assert after["b.html"].st_ino != before["b.html"].st_ino
    assert (out / "b.html").read_bytes() == b"new" and (out / "e.txt").read_bytes() == b"added"
    assert after["a.html"].st_nlink == 1  # the previous output is gone: nothing else shares the file


def test_a_file_changed_by_hand_or_replaced_by_a_link_is_written_afresh(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs({"edited.html": b"<p>built</p>", "linked.html": b"secret", "same.html": b"x"}, out)
    (out / "edited.html").write_bytes(b"<p>built, then edited</p>")
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(b"secret")
    (out / "linked.html").unlink()
    (out / "linked.html").symlink_to(elsewhere)
    write_outputs({"edited.html": b"<p>built</p>", "linked.html": b"secret", "same.html": b"x"}, out)
    assert (out / "edited.html").read_bytes() == b"<p>built</p>"
    assert not (out / "linked.html").is_symlink()
    assert (out / "linked.html").stat().st_ino != elsewhere.stat().st_ino  # not a link to the file it pointed to
    assert elsewhere.read_bytes() == b"secret" and os.stat(elsewhere).st_nlink == 1
