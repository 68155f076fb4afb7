"""The code a rule runs as a digest: its script and every library module it imports, as syntax
trees without docstrings (the rules' rerun trigger for code)."""

from __future__ import annotations

import ast
import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the mismatch package


def export_package_path() -> None:
    """Put this package on PYTHONPATH so the jobs' scripts import the same library."""
    root = str(PACKAGE_DIR.parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])


def library_sources(*modules: str) -> list[str]:
    """Source files of ``mismatch`` modules and everything in the package they import."""
    seen: set[str] = set()
    todo = [m.removeprefix("mismatch.") for m in modules]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(package_imports(_module_file(name)))
        if "." in name:  # a submodule: its package's __init__ runs first
            todo.append(name.rsplit(".", 1)[0])
    return sorted(str(_module_file(name)) for name in seen)


def _module_file(name: str) -> Path:
    """The file of ``mismatch.<name>``: a module, or a package's ``__init__.py``."""
    path = PACKAGE_DIR.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def code_digest(script: str | Path) -> str:
    """16 hex chars naming the code a job runs: its script and every library module it imports.

    Computed from each file's syntax tree without docstrings (``ast.dump``), so a change to what
    the code does changes it, while comments, formatting and docstrings do not; file names enter
    relative to the repository, so the folder a study lives in and file times do not either.
    Passed to a rule as a param, this is the rule's rerun trigger for code.
    """
    script = Path(script)
    modules = library_sources(*package_imports(script))
    root = PACKAGE_DIR.parent
    digest = hashlib.sha256()
    for path in [script, *map(Path, modules)]:
        name = path.resolve().relative_to(root.resolve()).as_posix()
        digest.update(f"{name}\0{_syntax(path)}\0".encode())
    return digest.hexdigest()[:16]


def _syntax(path: Path) -> str:
    """The syntax tree of a Python file without docstrings, as ``ast.dump`` text."""
    return _dump(path.read_text(), str(path))


@lru_cache(maxsize=256)
def _dump(source: str, filename: str) -> str:
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def package_imports(path: Path) -> Iterable[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mismatch"):
            if node.module == "mismatch":
                yield from (alias.name for alias in node.names)
            else:
                module = node.module.removeprefix("mismatch.")
                yield module
                for alias in node.names:  # `from mismatch.config import layers`: a submodule
                    if PACKAGE_DIR.joinpath(*module.split("."), f"{alias.name}.py").exists():
                        yield f"{module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mismatch."):
                    yield alias.name.removeprefix("mismatch.")
