"""What produced a result: library versions and the git commit of the code."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata

DISTRIBUTIONS = ("torch", "transformers", "peft", "tokenizers", "datasets", "pandas", "mismatch")


def library_versions() -> dict[str, str]:
    """Versions of Python, the model libraries and ``mismatch`` ("not installed" when absent)."""
    versions = {"python": platform.python_version()}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(path: str | os.PathLike[str] = ".") -> str | None:
    """The HEAD commit of the repository at ``path``, ``-dirty`` if tracked files changed.

    ``None`` when ``path`` is not in a git repository, has no commit yet, or git is missing.
    """
    try:
        commit = _git(path, "rev-parse", "HEAD")
        changes = _git(path, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if changes else commit


def _git(path: str | os.PathLike[str], *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout.strip()
