"""Preview server: build, serve the site on 127.0.0.1, rebuild when content or templates change, reload the page.

The built pages stay exactly what `studygen build` writes: the reload script is added to HTML responses by the
server on the fly, only while serving. The script polls `/__studygen/version`, which changes after each
successful rebuild. A failed rebuild prints its problems and keeps serving the last good site.
"""

from __future__ import annotations

import http.server
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

RELOAD_PATH = "/__studygen/reload.js"
VERSION_PATH = "/__studygen/version"
RELOAD_SCRIPT = b"""// Added by `studygen serve` only: reload the page after a rebuild.
(() => {
  let seen = null;
  async function poll() {
    try {
      const response = await fetch("/__studygen/version", { cache: "no-store" });
      const version = await response.text();
      if (seen !== null && version !== seen) location.reload();
      seen = version;
    } catch {
      // the server is restarting; try again
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
"""


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves one folder; with `live` set, adds the reload script to every HTML page and answers the version."""

    live: Callable[[], int] | None = None  # returns the current build number
    quiet = True

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if self.live is not None and path == VERSION_PATH:
            self._reply(str(self.live()).encode(), "text/plain; charset=utf-8")
            return
        if self.live is not None and path == RELOAD_PATH:
            self._reply(RELOAD_SCRIPT, "text/javascript; charset=utf-8")
            return
        if self.live is not None:
            file = Path(self.translate_path(path))
            if file.is_dir():
                file = file / "index.html"
            if file.suffix == ".html" and file.is_file():
                tag = f'<script src="{RELOAD_PATH}"></script>'.encode()
                page = file.read_bytes().replace(b"</body>", tag + b"</body>", 1)
                self._reply(page, "text/html; charset=utf-8")
                return
        super().do_GET()

    def _reply(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if not self.quiet:
            super().log_message(format, *args)


@contextmanager
def serving(
    folder: Path, port: int = 0, live: Callable[[], int] | None = None, quiet: bool = True
) -> Iterator[http.server.ThreadingHTTPServer]:
    """Serve `folder` on 127.0.0.1 from a background thread (port 0 picks a free one) until the block ends."""
    handler = type("Handler", (SiteHandler,), {"live": staticmethod(live) if live else None, "quiet": quiet})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, name="studygen-serve", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def serve(
    course_dir: Path,
    out_dir: Path | None = None,
    port: int = 8000,
    say: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Build, serve and rebuild on change until interrupted (or until `stop` is set)."""
    import watchfiles

    from studygen.build import build
    from studygen.errors import ContentError, OutputError
    from studygen.render.theme import theme_dir

    with tempfile.TemporaryDirectory(prefix="studygen-serve-") as scratch:
        out = (out_dir or Path(scratch) / "build").resolve()
        version = [0]

        def rebuild() -> None:
            try:
                report = build(course_dir, out)
            except (ContentError, OutputError) as error:
                say(error.report() if isinstance(error, ContentError) else f"error: {error}")
                say("Still serving the last good build.")
                return
            for warning in report.warnings:
                say(warning.format())
            version[0] += 1
            say(f"Built {report.topics} topic(s) into {out}.")

        rebuild()
        if version[0] == 0:
            raise SystemExit(1)
        watched = [course_dir.resolve(), theme_dir().resolve()]

        def relevant(_change: object, path: str) -> bool:
            # The build's own output and the writer's staging folders beside it are not changes to react to.
            where = Path(path)
            return not where.is_relative_to(out) and not where.name.startswith(f".{out.name}.")

        with serving(out / "site", port, live=lambda: version[0]) as server:
            say(f"Serving on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)")
            for _changes in watchfiles.watch(*watched, stop_event=stop, watch_filter=relevant):
                say("Change detected: rebuilding…")
                rebuild()
