"""Shared fixtures: the site-test course built once per session, and that site served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studygen.build import build

SITE_COURSE = Path(__file__).parent / "fixtures" / "site-course"


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site of tests/fixtures/site-course (a `site/` folder)."""
    out = tmp_path_factory.mktemp("site-course") / "build"
    build(SITE_COURSE, out)
    return out / "site"


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """That site served over http://127.0.0.1 from a thread, as `studygen serve` serves it (without reload)."""
    from studygen.serve import serving

    with serving(site_dir) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
