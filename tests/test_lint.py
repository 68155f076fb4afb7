"""The lint allow-list (tools/lint-allow.txt) holds only entries that are still needed, each with
a reason, and is the one place ruff's exclusions are decided."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOW = ROOT / "tools" / "lint-allow.txt"


def entries() -> list[tuple[str, str, str]]:
    lines = [line for line in ALLOW.read_text().splitlines() if line and not line.startswith("#")]
    return [tuple(line.split("\t")) for line in lines]


def test_every_entry_names_a_tool_and_a_reason():
    for entry in entries():
        assert len(entry) == 3, entry
        pattern, tool, reason = entry
        assert tool in {"ruff", "snakefmt", "snakemake-lint"} and len(reason) > 20, entry
        assert sorted(ROOT.glob(pattern)), f"{pattern} matches no file"


def test_ruff_still_cannot_parse_the_allowed_files():
    for pattern, tool, _ in entries():
        if tool != "ruff":
            continue
        for path in sorted(ROOT.glob(pattern)):
            done = subprocess.run(
                [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", str(path)],
                capture_output=True,
                text=True,
            )
            assert done.returncode != 0 and "invalid-syntax" in done.stdout + done.stderr, (
                f"ruff parses {path.relative_to(ROOT)} now: lint it and drop its allow-list entry"
            )


def test_ruff_excludes_exactly_the_allowed_paths():
    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    allowed = {pattern for pattern, tool, _ in entries() if tool == "ruff"}
    assert set(ruff["exclude"]) - {".venv", ".snakemake"} == allowed


def test_the_library_has_no_import_cycle():
    """Modules of ``mismatch`` import each other along a graph without cycles (imports inside
    functions count too)."""
    from mismatch.config.digests import package_imports

    package = ROOT / "mismatch"
    graph = {}
    for path in package.rglob("*.py"):  # subpackages too: mismatch.config.layers, ...
        parts = path.relative_to(package).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[name] = set(package_imports(path)) - {name}
    assert "config.checks" in graph and "configuration" in graph
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for other in sorted(graph.get(module, ())):
            assert state.get(other) != "open", " -> ".join([*trail, module, other])
            if other not in state:
                visit(other, [*trail, module])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert len(graph) > 40
