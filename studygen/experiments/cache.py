"""The result cache: one small JSON file per run, keyed by a hash of the run's config and the training code.

A file is `<readable name>--<key>.json`. Its `checksum` covers every other field, so a truncated, hand-edited or
half-merged file is detected and recomputed rather than trusted. Files are written to a temporary name and moved
into place, so a crash never leaves half a result. Merging shards is copying files: keys never collide.

No torch here: `studygen build` reads these files to draw figures without the experiments extra installed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any

from studygen.experiments.config import RunConfig

FORMAT = "studygen-experiment-result/1"
# The modules whose code decides what a run computes; changing the code of any of them gives every run a new key.
TRAINING_SOURCES = ("config.py", "nets.py", "data.py", "train.py")
MAX_POINTS = 120  # longest curve kept in a result file (paper-length runs log hundreds of points)
SIGNIFICANT = 4  # significant digits kept for floats: far below seed-to-seed spread, keeps files small

# The first label each normalised version of the training sources was published under. Before versions were
# normalised, they hashed the files' raw bytes; the 45 committed results carry such a label. The sources of their
# commit (a4166eb) and those normalised here are the same code, so the old label is kept and the results stay
# current. A change to the code itself gives a new digest that is its own label.
LABELS = {"7ceb918e708b": "36bca35d0a71"}


def code_version() -> str:
    """The training code's version: a digest of its syntax trees without docstrings, so comments, docstrings and
    formatting do not change it. Sweep, cache and CLI code are not hashed (they cannot change a result), nor is
    distributed.py: like the device or bf16, data parallelism is how a run is computed (a test holds its loop to
    train.py's), and the result's provenance records it."""
    digest = source_digest()
    return LABELS.get(digest, digest)


def source_digest(sources: dict[str, str] | None = None) -> str:
    """12 hex digits of sha256 over the normalised syntax of `sources` (file name -> text), by default the
    training sources as they are on disk."""
    if sources is None:
        here = Path(__file__).parent
        sources = {name: (here / name).read_text(encoding="utf-8") for name in TRAINING_SOURCES}
    raw = json.dumps(sources)  # in order: the digest depends on it
    if raw not in _DIGESTS:  # parsing takes tens of milliseconds; figures ask once per run
        digest = hashlib.sha256()
        for name, text in sources.items():
            digest.update(name.encode() + b"\0" + _canonical(_drop_docstrings(ast.parse(text))).encode() + b"\0")
        _DIGESTS[raw] = digest.hexdigest()[:12]
    return _DIGESTS[raw]


_DIGESTS: dict[str, str] = {}  # source texts -> digest


def _drop_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:]
    return tree


def _canonical(node: Any) -> str:
    """A syntax tree as text without positions, skipping empty fields. Not `ast.dump`, whose output changed in
    Python 3.13: empty fields (and fields that newer Pythons add empty) must not change the digest."""
    if isinstance(node, ast.AST):
        fields = ((name, getattr(node, name, None)) for name in node._fields)
        inner = ",".join(f"{name}={_canonical(value)}" for name, value in fields if value is not None and value != [])
        return f"{type(node).__name__}({inner})"
    if isinstance(node, list):
        return "[" + ",".join(_canonical(item) for item in node) + "]"
    return repr(node)


def run_key(cfg: RunConfig, code: str | None = None) -> str:
    payload = json.dumps({"config": cfg.to_dict(), "code": code or code_version()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def file_name(cfg: RunConfig, key: str) -> str:
    return f"{cfg.name()}--{key}.json"


def find(results_dir: Path, key: str) -> Path | None:
    matches = sorted(results_dir.glob(f"*--{key}.json"))
    return matches[0] if matches else None


def _checksum(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class CorruptResult(Exception):
    """A result file that cannot be trusted; the message says why."""


def read(path: Path, key: str | None = None) -> dict[str, Any]:
    """Load and verify one result file; raises CorruptResult when it fails any check."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptResult(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CorruptResult(f"{path}: not a {FORMAT} file")
    if record.get("checksum") != _checksum(record):
        raise CorruptResult(f"{path}: checksum does not match the contents (edited or truncated)")
    try:
        cfg = RunConfig.from_dict(record["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptResult(f"{path}: config is not valid ({exc})") from exc
    if run_key(cfg, record.get("code_version")) != record.get("key"):
        raise CorruptResult(f"{path}: stored key does not match its config and code version")
    if key is not None and record["key"] != key:
        raise CorruptResult(f"{path}: holds key {record['key']}, expected {key}")
    return record


def lookup(results_dir: Path, key: str) -> dict[str, Any] | None:
    """The cached record for `key`, or None when absent or corrupt (a corrupt file is reported and set aside)."""
    path = find(results_dir, key)
    if path is None:
        return None
    try:
        return read(path, key)
    except CorruptResult as exc:
        warnings.warn(f"{exc}; recomputing this run", stacklevel=2)
        return None


def write(results_dir: Path, cfg: RunConfig, record: dict[str, Any], code: str | None = None) -> Path:
    """Shape a train() record into a compact self-describing file and write it atomically; returns its path."""
    code = code or code_version()
    key = run_key(cfg, code)
    full = {
        "format": FORMAT,
        "key": key,
        "name": cfg.name(),
        "code_version": code,
        "config": cfg.to_dict(),
        **compact(record),
    }
    full["checksum"] = _checksum(full)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / file_name(cfg, key)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(full, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def compact(record: dict[str, Any]) -> dict[str, Any]:
    """Round floats and thin long curves; the structure stays the same."""
    metrics = dict(record.get("metrics", {}))
    for curve in ("train", "test"):
        if curve in metrics:
            metrics[curve] = _thin(metrics[curve])
    return _round({**record, "metrics": metrics})


def _thin(columns: dict[str, list[Any]], limit: int = MAX_POINTS) -> dict[str, list[Any]]:
    """Keep `limit` evenly spaced points of equally long columns, always with the first and the last."""
    n = len(next(iter(columns.values()), []))
    if n <= limit:
        return columns
    keep = sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})
    return {name: [values[i] for i in keep] for name, values in columns.items()}


def _round(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)  # JSON has no NaN/inf; keep them readable
        return float(f"{value:.{SIGNIFICANT}g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value
