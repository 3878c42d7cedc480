"""Screenshot every page type of a built course in light and dark mode (and one narrow phone view each).

    .venv/bin/python scripts/screenshots.py [COURSE_DIR] [-o screenshots]

Builds the course into a temporary folder, serves it on 127.0.0.1 and drives Debian's Chromium with Playwright.
Nothing leaves the machine: every request to another host is refused. The PNGs go to screenshots/ (git-ignored).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from studygen.build import build
from studygen.serve import serving

CHROMIUM = "/usr/bin/chromium"
FULL_PAGE = ("home", "category", "subject", "search", "not-found")  # the long pages are shot at screen height
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def page_types(site: Path) -> dict[str, str]:
    """One example path per page type, taken from what the build produced."""
    topics = sorted(p.parent.name for p in (site / "topics").glob("*/guide.html"))
    topic = "identity-mapping" if "identity-mapping" in topics else topics[0]
    category = sorted(p.parent.name for p in site.glob("*/index.html") if p.parent.name not in ("topics",))[0]
    subject = sorted(p.parent.name for p in (site / category).glob("*/index.html"))[0]
    wanted = {
        "home": "index.html",
        "category": f"{category}/index.html",
        "subject": f"{category}/{subject}/index.html",
        "summary": f"topics/{topic}/index.html",
        "guide": f"topics/{topic}/guide.html",
        "flashcards": f"topics/{topic}/flashcards.html",
        "qa-bank": "qa.html",
        "qa-answers": f"topics/{topic}/answers.html",
        "practice": f"topics/{topic}/practice.html",
        "practice-part-2": f"topics/{topic}/practice-2.html",
        "worksheet": f"topics/{topic}/worksheet.html",
        "answer-key": f"{category}/{subject}/answer-key.html",
        "search": "search.html?q=gradient",
        "not-found": "404.html",
    }
    return {name: path for name, path in wanted.items() if (site / path.split("?")[0]).is_file()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("course", nargs="?", default="content", type=Path)
    parser.add_argument("-o", "--out", default="screenshots", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        build(args.course, Path(scratch) / "build")
        site = Path(scratch) / "build/site"
        with serving(site) as server, sync_playwright() as p:
            base = f"http://127.0.0.1:{server.server_address[1]}/"
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for scheme in ("light", "dark"):
                for width, suffix in ((1200, ""), (390, "-phone")):
                    context = browser.new_context(
                        viewport={"width": width, "height": 900}, color_scheme=scheme, device_scale_factor=1
                    )
                    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                                  else route.abort())  # fmt: skip
                    page = context.new_page()
                    for name, path in page_types(site).items():
                        if suffix and name not in ("home", "summary", "flashcards", "qa-bank"):
                            continue
                        page.goto(base + path)
                        page.wait_for_load_state("networkidle")
                        if name == "flashcards":
                            page.click("#btn-flip")
                        if name == "search":
                            page.wait_for_selector("#search-results li", timeout=20_000)
                        target = args.out / f"{name}-{scheme}{suffix}.png"
                        page.screenshot(
                            path=str(target), full_page=name in ("home", "category", "subject", "search", "not-found")
                        )
                        print(target)
                    context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
