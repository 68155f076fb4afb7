"""Every command written in README.md and docs/ runs as written: Snakemake commands as dry runs
(``-n``) on a private copy of the workflow, the project's tools with their documented arguments
where that is cheap and safe, else with ``--help`` (they parse their arguments)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_runs import copy_workflow

from mismatch.study_state import write_marker

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
START = re.compile(r"(?:\.venv/bin/)?(?:snakemake\s|python3?\s+tools/)")
END = re.compile(r"`|\s&&\s|\s#|\s\|\s|;|$")
# placeholders the docs use, and what a test puts there
PLACEHOLDERS = {"RUN_DIR": "{tmp}/run", "NAME": "default"}
# Snakemake flags whose commands are checked by other tests on a finished study
ELSEWHERE = {
    "--report": "tests/test_workflow_run.py::test_html_report_renders_every_figure_in_a_browser",
    "--cleanup-metadata": "documented as Snakemake's own command; needs recorded files",
}
# tools whose documented arguments are run as written (cheap, read-only or confined to the copy)
RUN_AS_WRITTEN = {
    "studies.py",
    "config_docs.py",
    "publish_findings.py --check",
    "recompute_tables.py --all",  # every published table from its committed labels
    "measure_gpu_rates.py --plan",  # a dry run of the paper config against the measurements
}


def code_texts(page: Path) -> list[str]:
    """The code on a page: lines of fenced and indented blocks, and inline code spans."""
    texts, fenced = [], False
    for line in page.read_text().splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced or line.startswith("    "):
            texts.append(line.strip())
        else:
            texts += re.findall(r"`([^`]+)`", line)
    return texts


def documented_commands() -> list[tuple[str, str]]:
    """(page, command) for every Snakemake or tools/ command in the README and docs/."""
    found: dict[str, str] = {}
    for page in PAGES:
        for text in code_texts(page):
            for start in START.finditer(text):
                rest = text[start.start() :]
                found.setdefault(rest[: END.search(rest).start()].strip(), page.name)
    return sorted((page, command) for command, page in found.items())


COMMANDS = documented_commands()


def test_the_docs_hold_commands_to_check():
    commands = [c for _, c in COMMANDS]
    assert sum("snakemake" in c for c in commands) >= 10
    assert any("tools/studies.py" in c for c in commands)


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory):
    copy = copy_workflow(tmp_path_factory.mktemp("docs") / "repo")
    for name in ("config.yaml", "tools", "docs", "README.md", "tests"):
        source = ROOT / name
        if source.is_dir():
            subprocess.run(["cp", "-a", str(source), str(copy / name)], check=True)
        else:
            (copy / name).write_text(source.read_text())
    if (ROOT / ".cache").is_dir():  # the real-tokenizer fixtures (tools/real_tokenizers.py)
        (copy / ".cache").symlink_to(ROOT / ".cache")
    for name, text in example_configs().items():  # the docs' own example configs
        (copy / name).write_text(text)
    return copy


def finished_studies(root: Path, names: tuple[str, ...]) -> None:
    """Study folders with a summary table, for the commands that list, compare or clean them."""
    row = {"student": "small", "recipe": "own", "n": 10, "n_worlds": 1}
    for metric in ("correct_rate", "wrong_rate", "abstain_rate"):
        row.update({metric: 0.5, f"{metric}_low": 0.4, f"{metric}_high": 0.6})
    for name in names:
        summary = root / name / "summary"
        summary.mkdir(parents=True, exist_ok=True)
        (summary / "summary.csv").write_text(
            ",".join(row) + "\n" + ",".join(map(str, row.values()))
        )
        # what the workflow writes at a run's start and end: clean and progress read it
        write_marker(root / name, name, "running", config=str(root.parent / "config.yaml"))
        write_marker(root / name, name, "finished")


def example_configs() -> dict[str, str]:
    """The YAML blocks of the docs that open with ``# my-<name>.yaml``, by file name."""
    found = {}
    for page in PAGES:
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(), re.S):
            first = block.splitlines()[0]
            named = re.match(r"# (my-[\w-]+\.yaml)", first)
            if named:
                found[named.group(1)] = block
    return found


def test_the_docs_example_configs_are_found():
    assert {"my-paper.yaml", "my-facts.yaml"} <= set(example_configs())


def argv(command: str, tmp: Path) -> list[str] | None:
    """The command as an argument list run from the copy (None: checked elsewhere)."""
    words = shlex.split(command)
    words = [PLACEHOLDERS[w].format(tmp=tmp) if w in PLACEHOLDERS else w for w in words]
    program, *args = words
    if program.endswith("snakemake"):
        if any(flag in args for flag in ELSEWHERE):
            return None
        if not {"-n", "--dry-run", "--lint", "--unlock"} & set(args):
            args.append("-n")
        return [sys.executable, "-m", "snakemake", *args]
    assert program in ("python", "python3", ".venv/bin/python"), command
    tool, *tool_args = args
    name = Path(tool).name
    if not any(f"{name} {' '.join(tool_args)}".startswith(k) or k == name for k in RUN_AS_WRITTEN):
        tool_args = ["--help"]
    return [sys.executable, tool, *tool_args]


@pytest.mark.slow
@pytest.mark.parametrize(("page", "command"), COMMANDS, ids=[c for _, c in COMMANDS])
def test_documented_command_runs(page, command, workflow_copy, tmp_path):
    run = argv(command, tmp_path)
    if run is None:
        flag = next(f for f in ELSEWHERE if f in command)
        pytest.skip(f"{page}: {flag} is checked by {ELSEWHERE[flag]}")
    if "paper-tokenizers" in command and not (workflow_copy / ".cache").is_dir():
        pytest.skip("the real-tokenizer fixtures are not built (tools/real_tokenizers.py)")
    if "tools/studies.py" in command:
        finished_studies(workflow_copy / "results", ("default", "controls", "exposure"))
    done = subprocess.run(run, cwd=workflow_copy, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (
        f"{page}: `{command}` failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    )
