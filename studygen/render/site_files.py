"""The site's files as a build puts them into its outputs: written as they are rendered, read back on demand.

A build does not hold its pages: each goes to the outputs (the staging folder, studygen.writer) as soon as it is
rendered, and the search index reads back the ones it indexes, part by part. What the index asks of every page
(its digest, whether it marks its text for search) is noted as the page is put, so that nothing is read twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from studygen.writer import MemoryOutputs, Outputs

# Once any page has this attribute, Pagefind indexes no page without it (studygen.render.search).
SEARCH_MARK = b"data-pagefind-body"
FOLDER = "site/"


class SiteFiles(Mapping[str, bytes]):
    """The site's files by path under site/, kept in `into` (with the rest of the build's outputs)."""

    def __init__(self, into: Outputs) -> None:
        self.into = into
        self.paths: dict[str, None] = {}  # in the order put
        self.marked: set[str] = set()  # HTML pages that mark their text for search

    @classmethod
    def of(cls, files: Mapping[str, bytes]) -> SiteFiles:
        """These files, in memory."""
        site = cls(MemoryOutputs())
        for path, data in files.items():
            site.put(path, data)
        return site

    def put(self, path: str, data: bytes) -> None:
        self.into.put(FOLDER + path, data)
        self.paths[path] = None
        if path.endswith(".html") and SEARCH_MARK in data:
            self.marked.add(path)

    def digest(self, path: str) -> str:
        """The SHA-256 of a file's bytes."""
        return self.into.digests[FOLDER + path]

    def __getitem__(self, path: str) -> bytes:
        if path not in self.paths:
            raise KeyError(path)
        return self.into.read(FOLDER + path)

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)
