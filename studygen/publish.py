"""`studygen publish`: commit the built site to a branch (gh-pages by default) and push it, in the manner of
`mkdocs gh-deploy`, without touching the working tree or the index of the repository the author works in.

The commit is made with git's plumbing: a private index file, `write-tree` over the site folder, `commit-tree`
on top of the branch's previous commit, then `update-ref`. The working tree and HEAD are never touched.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from studygen.errors import OutputError


@dataclass(frozen=True)
class PublishPlan:
    git_dir: Path
    site: Path
    branch: str
    remote: str | None
    message: str
    files: int


@dataclass(frozen=True)
class PublishResult:
    plan: PublishPlan
    commit: str
    pushed: bool


def plan_publish(site: Path, repo: Path, branch: str, remote: str | None, message: str) -> PublishPlan:
    if not (site / "index.html").is_file():
        raise OutputError(f"{site} holds no built site (no index.html); run `studygen build` first")
    files = sum(1 for p in site.rglob("*") if p.is_file())
    return PublishPlan(_find_git_dir(repo), site.resolve(), branch, remote, message, files)


def publish(plan: PublishPlan, push: bool = True) -> PublishResult:
    """Commit the site (plus `.nojekyll`) as the branch's new tip; push it when a remote is given."""
    nojekyll = plan.site / ".nojekyll"
    if not nojekyll.exists():
        nojekyll.write_bytes(b"")  # GitHub Pages would otherwise hide files and folders starting with "_"
    with tempfile.TemporaryDirectory(prefix="studygen-publish-") as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index"), "GIT_WORK_TREE": str(plan.site)}
        _git(plan.git_dir, "add", "--all", "--force", ".", env=env, cwd=plan.site)
        tree = _git(plan.git_dir, "write-tree", env=env)
    ref = f"refs/heads/{plan.branch}"
    parent = _git(plan.git_dir, "rev-parse", "--verify", "--quiet", ref, check=False)
    parent_args = ["-p", parent] if parent else []
    commit = _git(plan.git_dir, "commit-tree", tree, *parent_args, "-m", plan.message)
    _git(plan.git_dir, "update-ref", ref, commit, *([parent] if parent else []))
    pushed = False
    if push and plan.remote:
        _git(plan.git_dir, "push", plan.remote, f"{ref}:{ref}")
        pushed = True
    return PublishResult(plan, commit, pushed)


def _git(
    git_dir: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, check: bool = True
) -> str:
    try:
        result = subprocess.run(
            ["git", "--git-dir", str(git_dir), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as error:
        raise OutputError("git is not installed") from error
    if check and result.returncode != 0:
        raise OutputError(f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip() if result.returncode == 0 else ""


def _find_git_dir(repo: Path) -> Path:
    result = subprocess.run(["git", "-C", str(repo), "rev-parse", "--absolute-git-dir"], capture_output=True, text=True)
    if result.returncode != 0:
        raise OutputError(f"{repo} is not inside a git repository: {result.stderr.strip()}")
    return Path(result.stdout.strip())
