"""The README's findings and docs/findings.md are rendered from the committed run's tables."""

import importlib.util
import json
import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "publish_findings", ROOT / "tools/publish_findings.py"
)
publish_findings = importlib.util.module_from_spec(spec)
spec.loader.exec_module(publish_findings)


def readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split(publish_findings.START, 1)[1].split(publish_findings.END, 1)[0].lstrip("\n")


def test_readme_findings_are_the_committed_run_rendered():
    block, _ = publish_findings.rendered()
    assert readme_block() == block


def test_findings_page_is_the_committed_run_rendered():
    _, page = publish_findings.rendered()
    assert (ROOT / "docs" / "findings.md").read_text() == page


def test_headline_numbers_are_the_committed_tables():
    """The primary contrast printed in the README is the row of contrasts.csv, to 0.1 points."""
    head = json.loads((ROOT / "docs/results/headline.json").read_text())["primary"]
    row = pd.read_csv(ROOT / "docs/results/contrasts.csv").query("role == 'primary'").iloc[0]
    assert (head["estimate"], head["low"], head["high"]) == (row.estimate, row.low, row.high)
    shown = re.search(r"difference \*\*([+-][\d.]+) \[([+-][\d.]+), ([+-][\d.]+)\]", readme_block())
    assert shown, readme_block()[:500]
    assert [float(x) for x in shown.groups()] == [
        round(100 * v, 1) for v in (row.estimate, row.low, row.high)
    ]


def test_check_mode_fails_on_a_hand_edited_readme(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text()
    readme.write_text(re.sub(r"difference \*\*\+", "difference **+1", text, count=1))
    monkeypatch.setattr(publish_findings, "README", readme)
    monkeypatch.setattr("sys.argv", ["publish_findings.py", "--check"])
    assert publish_findings.main() == 1
