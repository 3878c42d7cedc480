"""The storage of the markup and parse caches: a table of (key, text) in an SQLite file under `.studygen-cache/`.

A cache can only save time: when its file cannot be opened, read or written, the build does the work itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path


def open_table(path: Path, table: str, column: str) -> sqlite3.Connection | None:
    """A connection to the cache file with the table made if missing; None if the file cannot be used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=10)
        # A cache: a write cut short by a crash costs a rebuild of what it held (a damaged file is ignored), so no
        # waiting for the disk at each commit (a build commits a batch every 20,000 rendered texts).
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table} (key BLOB PRIMARY KEY, {column} TEXT NOT NULL)")
        connection.commit()
    except (OSError, sqlite3.Error):
        return None  # e.g. a read-only checkout, or a file that is not a database
    return connection


def save_entries(
    connection: sqlite3.Connection, table: str, new: Mapping[bytes, str], used: set[bytes], *, prune: bool
) -> None:
    """Add what a build made anew, in one transaction. With `prune`, keep the cache near the size of the course:
    once it holds twice what this build used, drop the rest."""
    with connection:
        # In key order: inserting 180,000 entries into the key's index took 1.6 s in random order, 1.0 s sorted.
        connection.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", sorted(new.items()))
        (stored,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
        if prune and stored > 2 * len(used):
            connection.execute("CREATE TEMP TABLE used (key BLOB PRIMARY KEY)")
            connection.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((key,) for key in used))
            connection.execute(f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM used)")


def save_and_close(connection: sqlite3.Connection, save: Callable[[], None]) -> None:
    try:
        save()
    except sqlite3.Error:
        pass  # a busy or read-only cache costs the next build time, nothing else
    finally:
        connection.close()
