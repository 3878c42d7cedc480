"""The writer links files that are unchanged since the previous output, and writes every other file afresh."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studygen.errors import OutputError
from studygen.forked import Forked
from studygen.writer import Staging, WrittenChanges, check_relative, write_outputs


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


def test_a_staging_folder_is_filled_as_the_build_goes_and_only_a_commit_swaps_it_in(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs({"index.html": b"previous"}, out)
    with Staging(out) as staging:
        staging.put("topics/a.html", b"first")
        folder = Path(staging.folder)
        assert (folder / "topics/a.html").read_bytes() == b"first"  # on disk at once, not held until the end
        assert staging.read("topics/a.html") == b"first"
        assert staging.digests == {"topics/a.html": hashlib.sha256(b"first").hexdigest()}
        # Left without a commit (an error, Ctrl-C): the staging folder goes, the previous output stays.
    assert not folder.exists() and (out / "index.html").read_bytes() == b"previous"
    with Staging(out) as staging:
        staging.put("index.html", b"previous")
        staging.commit()
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    assert not list(tmp_path.glob(".out.tmp-*"))  # nothing left beside the output


def test_a_file_written_in_pieces_is_whole_and_its_digest_is_its_bytes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    pieces = [b'{"a":', b"1", b"}"]
    with Staging(out) as staging:
        staging.write("records/state.json", iter(pieces))
        staging.commit()
    assert (out / "records/state.json").read_bytes() == b'{"a":1}'
    assert staging.digests == {"records/state.json": hashlib.sha256(b'{"a":1}').hexdigest()}
    # Written again with the same bytes, it is the previous output's file (linked: rsync sees it unchanged).
    before = (out / "records/state.json").stat()
    with Staging(out) as staging:
        staging.write("records/state.json", iter(pieces))
        staging.commit()
    assert (out / "records/state.json").stat().st_ino == before.st_ino
    assert (out / "records/state.json").read_bytes() == b'{"a":1}'


def test_a_file_put_again_replaces_the_first(tmp_path: Path) -> None:
    # A forked child that put some files and then died: the parent renders its work again into the same folder.
    out = tmp_path / "out"
    write_outputs({"kept.txt": b"same"}, out)
    with Staging(out) as staging:
        staging.put("kept.txt", b"same")  # linked from the previous output
        staging.put("kept.txt", b"same")
        staging.put("new.txt", b"half")
        staging.put("new.txt", b"whole")
        staging.commit()
    assert (out / "kept.txt").read_bytes() == b"same" and (out / "new.txt").read_bytes() == b"whole"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="builds fork on Linux only")
def test_a_forked_child_writes_into_the_same_staging_folder_and_hands_back_its_digests(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Staging(out) as staging:
        staging.put("site/index.html", b"parent")

        def in_child() -> WrittenChanges:
            staging.forked()
            staging.put("anki/deck.apkg", str(os.getpid()).encode())
            return staging.changes()

        with Forked(in_child, may_fork=True) as side:
            changes = side.result()
        staging.merge(changes)
        assert list(changes) == ["anki/deck.apkg"] and "anki/deck.apkg" in staging.digests
        staging.commit()
    data = (out / "anki/deck.apkg").read_bytes()
    assert data != str(os.getpid()).encode()  # written by the child
    assert staging.digests["anki/deck.apkg"] == hashlib.sha256(data).hexdigest()
    assert (out / "site/index.html").read_bytes() == b"parent"


def _refused_by_pure_path(relative: str) -> bool:
    """The rule as first written, with PurePosixPath."""
    path = PurePosixPath(relative)
    return path.is_absolute() or ".." in path.parts or not path.parts or relative != path.as_posix()


@given(st.text(alphabet="a./\\", max_size=12))
def test_output_paths_are_refused_as_pure_paths_would_refuse_them(relative: str) -> None:
    try:
        check_relative(relative)
        refused = False
    except OutputError:
        refused = True
    assert refused == _refused_by_pure_path(relative)


@pytest.mark.parametrize("relative", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/", "a/.", "."])
def test_paths_outside_the_output_or_not_plain_are_refused(relative: str, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="outside the output folder"):
        write_outputs({"fine.html": b"ok", relative: b"no"}, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before anything was written
