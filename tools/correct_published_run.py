"""Correct a published real-model run without replacing it (issue 31): the registered contrasts
and tests it left out, and its labels and knowing regraded with the relations' closed
vocabularies, written beside the run as docs/results/real-small/corrections/.

    .venv/bin/python tools/correct_published_run.py            # write
    .venv/bin/python tools/correct_published_run.py --check    # exit 1 if the files differ

Needs no model: everything is read from the run's committed inputs (inputs/labels.parquet,
inputs/questions.parquet) and the installed packages' facts (mismatch/questions/package_facts.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mismatch.analysis.corrections import (  # noqa: E402
    Resampling,
    changed_labels,
    contrast_table,
    knowing_table,
    regrade_labels,
)
from mismatch.io import read_parquet  # noqa: E402
from mismatch.questions.package_facts import package_facts, package_vocabulary  # noqa: E402
from tools.recompute_tables import settings_of  # noqa: E402

RUN = ROOT / "docs" / "results" / "real-small"
CODE = ("mismatch/answers", "mismatch/questions/package_facts.py", "mismatch/report/corrections.py")


def code_commit() -> str:
    """The commit of this checkout's grading code; refuses a checkout where it is edited."""
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *CODE], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    if dirty:
        raise SystemExit(f"error: {CODE[0]}: uncommitted grading code; commit it first")
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def corrections(run: Path) -> dict[str, pd.DataFrame]:
    """The correction tables of the published run in ``run`` (file name -> table)."""
    labels = read_parquet(run / "inputs" / "labels.parquet")
    questions = read_parquet(run / "inputs" / "questions.parquet")
    settings = settings_of(ROOT / json.loads((run / "run.json").read_text())["config"])
    resampling = Resampling(settings.n_boot, settings.n_flips, settings.seed)
    facts = package_facts().set_index("question_id")["answers"]
    vocabulary = package_vocabulary()
    regraded = regrade_labels(labels, questions, vocabulary, facts.map(list))
    contrasts = pd.concat(
        [
            contrast_table(labels, questions, resampling, "registered"),
            contrast_table(regraded, questions, resampling, "regraded"),
        ],
        ignore_index=True,
    )
    return {
        "contrasts.csv": contrasts,
        "knowing.csv": knowing_table(labels, regraded, questions, vocabulary),
        "changed_labels.csv": changed_labels(labels, regraded),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    out = RUN / "corrections"
    tables = corrections(RUN)
    if args.check:
        stale = [
            name
            for name, table in tables.items()
            if not (out / name).is_file() or (out / name).read_text() != table.to_csv(index=False)
        ]
        if stale:
            print(f"out of date: {', '.join(stale)}; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    out.mkdir(exist_ok=True)
    environment = json.loads((RUN / "environment.json").read_text())
    provenance = {"registered_commit": environment["git_commit"], "regraded_commit": code_commit()}
    for name, table in tables.items():
        table.to_csv(out / name, index=False)
    (out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
    print(f"wrote {', '.join(tables)} and provenance.json to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
