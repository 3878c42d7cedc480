"""The Jinja environment: our theme, overridable template by template from a course's own `templates/`."""

from __future__ import annotations

from pathlib import Path

import jinja2
import rcssmin
import rjsmin

import studygen

# Installed: the wheel carries the theme as studygen/templates. From a checkout: it is the repository's templates/.
_PACKAGED = Path(studygen.__file__).parent / "templates"
_CHECKOUT = Path(studygen.__file__).parent.parent / "templates"


def theme_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


def make_environment(course_root: Path | None = None) -> jinja2.Environment:
    """One environment per build: autoescaped, strict about undefined names, course templates first."""
    search = [theme_dir()]
    if course_root is not None and (course_root / "templates").is_dir():
        search.insert(0, course_root / "templates")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in search]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def asset_bytes(path: Path) -> bytes:
    """A static file as the site ships it: the theme's own scripts and stylesheets minified (the readable source
    stays in templates/static/); everything else, a course's own assets included, exactly as it is."""
    if path.is_relative_to(theme_dir()) and path.suffix in (".js", ".css"):
        minify = rjsmin.jsmin if path.suffix == ".js" else rcssmin.cssmin
        return minify(path.read_text(encoding="utf-8")).encode("utf-8")
    return path.read_bytes()


def static_files(course_root: Path | None = None) -> dict[str, Path]:
    """Theme assets under static/, relative name -> file; a course's own static/ files replace same-named ones."""
    found: dict[str, Path] = {}
    roots = [theme_dir()] + ([course_root / "templates"] if course_root else [])
    for root in roots:
        static = root / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    found[path.relative_to(static).as_posix()] = path
    return found
