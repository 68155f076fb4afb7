"""The README's findings and docs/findings.md are rendered from the committed run's tables."""

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mismatch.analysis.stats import required_sample_size
from mismatch.publishing import exposure as publishing_exposure
from mismatch.publishing import findings as publishing_findings
from mismatch.publishing import runs as publishing_runs
from mismatch.publishing.site import END, START, Site

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "publish_findings", ROOT / "tools/publish_findings.py"
)
publish_findings = importlib.util.module_from_spec(spec)
spec.loader.exec_module(publish_findings)


def readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split(START, 1)[1].split(END, 1)[0].lstrip("\n")


def test_readme_findings_are_the_committed_run_rendered():
    block, _ = publishing_findings.rendered()
    assert readme_block() == block


def test_findings_page_is_the_committed_run_rendered():
    _, page = publishing_findings.rendered()
    assert (ROOT / "docs" / "findings.md").read_text() == page


@pytest.mark.parametrize("page", ["findings.md", "exposure.md", "real-small.md"])
def test_every_published_page_opens_with_its_summary_and_links_its_tables(page):
    """The question, the answer, the main table and the figure within one screen (the first 30
    lines), then a link to the run's full summary and CSVs instead of every table inlined."""
    text = (ROOT / "docs" / page).read_text()
    screen = "\n".join(text.splitlines()[:30])
    parts = ["**The question.**", "**The answer.**", "\n| ", "\n![", "[its full summary]("]
    positions = [screen.find(part) for part in parts]
    assert -1 not in positions and positions == sorted(positions), positions
    link = re.search(r"\[its full summary\]\(([^)]+)\)", screen).group(1)
    assert (ROOT / "docs" / link).is_file()
    assert "## Per-seed McNemar tests" not in text  # the run's summary is linked, not inlined
    figure = re.search(r"\n!\[[^\]]*\]\(([^)]+)\)", screen).group(1)
    assert (ROOT / "docs" / figure).resolve().is_file()


def test_headline_numbers_are_the_committed_tables():
    """The primary contrast printed in the README is the row of contrasts.csv, to 0.1 points."""
    head = json.loads((ROOT / "docs/results/headline.json").read_text())["primary"]
    row = pd.read_csv(ROOT / "docs/results/contrasts.csv").query("role == 'primary'").iloc[0]
    assert (head["estimate"], head["low"], head["high"]) == (row.estimate, row.low, row.high)
    shown = re.search(r"difference of ([+-][\d.]+) \[([+-][\d.]+), ([+-][\d.]+)\]", readme_block())
    assert shown, readme_block()[:500]
    assert [float(x) for x in shown.groups()] == [
        round(100 * v, 1) for v in (row.estimate, row.low, row.high)
    ]


def test_check_mode_fails_on_a_hand_edited_readme(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text()
    readme.write_text(re.sub(r"difference of \+", "difference of +1", text, count=1))
    for folder in ("docs", "figures"):  # the committed pages and figures, the edited README
        (tmp_path / folder).symlink_to(ROOT / folder)
    (tmp_path / "configs").symlink_to(ROOT / "configs")  # the runs' configs (their settings)
    monkeypatch.setattr(publish_findings, "SITE", Site(tmp_path))
    monkeypatch.setattr("sys.argv", ["publish_findings.py", "--check"])
    assert publish_findings.main() == 1


def test_run_wall_time_is_read_from_the_snakemake_logs(tmp_path):
    logs = tmp_path / ".snakemake" / "log"
    logs.mkdir(parents=True)
    (logs / "2026-11-25T100000.snakemake.log").write_text(
        "Building DAG of jobs...\n[Wed Nov 25 10:00:01 2026]\nrule a:\n"
        "    output: results/s/w1/x\n[Wed Nov 25 10:20:31 2026]\nFinished job 0.\n"
    )
    (logs / "2026-11-25T110000.snakemake.log").write_text(
        "[Wed Nov  5 11:00:00 2026]\nresults/s/summary\n[Wed Nov  5 11:00:30 2026]\n"
    )
    assert publishing_runs.run_wall_seconds(tmp_path / "results" / "s") == 20 * 60 + 30 + 30


def test_readme_names_the_run_and_its_wall_time():
    run = json.loads((ROOT / "docs/results/run.json").read_text())
    assert f"Run: `{run['config']}`, wall time {run['wall_s'] / 60:.0f} min" in readme_block()


def test_wall_time_and_figures_are_the_studys_own(tmp_path):
    """Several studies run from one checkout: the published wall time sums only the Snakemake
    logs that name the study's folder, and the figures are those in the study's folder."""
    study = tmp_path / "results" / "mine"
    (study / "figures").mkdir(parents=True)
    (study / "figures" / "outcomes.png").write_bytes(b"png")
    (tmp_path / "results" / "other" / "figures").mkdir(parents=True)
    (tmp_path / "results" / "other" / "figures" / "forest.png").write_bytes(b"png")
    logs = tmp_path / ".snakemake" / "log"
    logs.mkdir(parents=True)
    (logs / "a.snakemake.log").write_text(
        "[Wed Nov 25 10:00:00 2026]\noutput: results/mine/w1/x\n[Wed Nov 25 10:10:00 2026]\n"
    )
    (logs / "b.snakemake.log").write_text(
        "[Wed Nov 25 11:00:00 2026]\noutput: results/other/w1/x\n[Wed Nov 25 12:00:00 2026]\n"
    )
    assert publishing_runs.run_wall_seconds(study) == 600
    assert [p.name for p in publishing_runs.run_figures(study)] == ["outcomes.png"]


def _paper_regime_run(work, **contrast):
    """A finished paper-regime run's summary tables: student mid at 69%, teacher xl at 78%,
    effect +5.0 [-1.0, +11.0] points over an own-data wrong rate of 2% (``contrast``: more
    columns of its primary row)."""
    study = work / "results" / "paper-regime"
    summary = study / "summary"
    (summary / "inputs").mkdir(parents=True)
    (summary / "inputs" / "labels.parquet").write_bytes(b"paper labels")
    pd.DataFrame(
        [dict(role="primary", student="mid", treatment="xl", control="own", world=1,
              kind="world", estimate=0.05, low=-0.01, high=0.11)]
    ).to_csv(summary / "per_world.csv", index=False)  # fmt: skip
    pd.DataFrame(
        [
            dict(
                world_seed=1,
                model=m,
                split="pool",
                definition="measured",
                known_rate=r,
                measured_known_rate=r,
            )
            for m, r in (("mid", 0.69), ("xl", 0.78))
        ]
    ).to_csv(summary / "knowledge.csv", index=False)
    pd.DataFrame(
        [
            dict(role="primary", student="mid", treatment="xl", control="own",
                 treatment_rate=0.07, control_rate=0.02, estimate=0.05, low=-0.01, high=0.11,
                 **contrast)
        ]
    ).to_csv(summary / "contrasts.csv", index=False)  # fmt: skip
    (summary / "environment.json").write_text('{"git_commit": "abc123"}')
    (summary / "summary.md").write_text("# paper\n")
    logs = work / ".snakemake" / "log"
    logs.mkdir(parents=True)
    (logs / "a.snakemake.log").write_text(
        "[Wed Nov 25 11:00:00 2026]\nresults/paper-regime/summary\n[Wed Nov 25 11:10:00 2026]\n"
    )
    return study


def test_exposure_run_is_published_into_its_own_block(tmp_path, monkeypatch):
    """An exposure-world run: its tables go to docs/results/exposure/, its figure to figures/,
    and docs/exposure.md is rendered from them (and checked by --check)."""
    work = tmp_path / "work"
    study = work / "results" / "test"
    summary = study / "summary"
    (summary / "inputs").mkdir(parents=True)
    (summary / "inputs" / "labels.parquet").write_bytes(b"labels")  # what the tables came from
    knowledge = [
        dict(
            world_seed=1,
            model=m,
            split="pool",
            n=100,
            definition="measured",
            known_rate=r,
            measured_known_rate=r,
            known_correct=int(80 * r),
            known_wrong=0,
        )
        for m, r in (("small", 0.3), ("large", 0.6))
    ]
    pd.DataFrame(knowledge).to_csv(summary / "knowledge.csv", index=False)
    pd.DataFrame(
        [
            dict(
                student="small",
                treatment="large",
                treatment_rate=0.4,
                control_rate=0.1,
                estimate=0.3,
                low=0.2,
                high=0.4,
            )
        ]
    ).to_csv(summary / "contrasts.csv", index=False)
    pd.DataFrame([dict(model="small", probe="greedy answer", auroc=0.8, low=0.7, high=0.9)]).to_csv(
        summary / "probe_auroc.csv", index=False
    )
    pd.DataFrame(
        [
            dict(model=m, exposure="0", n_facts=3, recall=0.1, mean_gold_probability=0.2)
            for m in ("small", "large")
        ]
    ).to_csv(summary / "recall_by_exposure.csv", index=False)
    (summary / "environment.json").write_text(
        json.dumps({"cpus": 2, "cpu": "test CPU", "threads_per_job": 1, "git_commit": "abc123"})
    )
    (summary / "summary.md").write_text("# summary\n")
    (work / "results/test/figures").mkdir()
    for name in ("recall_by_exposure.png", "effect_by_gap.png"):
        (work / "results/test/figures" / name).write_bytes(b"png")
    logs = work / ".snakemake" / "log"
    logs.mkdir(parents=True)
    (logs / "a.snakemake.log").write_text(
        "[Wed Nov 25 10:00:00 2026]\nresults/test/summary\n[Wed Nov 25 10:30:00 2026]\n"
    )
    root = tmp_path / "repo"
    (root / "figures").mkdir(parents=True)
    (root / "configs").mkdir()
    (root / "configs" / "exposure.yaml").write_text((ROOT / "configs/exposure.yaml").read_text())
    page = root / "docs" / "exposure.md"
    site = Site(root)
    settings = publishing_exposure.validated(
        publishing_exposure.layered_config([ROOT / "configs/exposure.yaml"])
    )
    settings["recipes"] = {
        "own": {"kind": "teacher", "teacher": "self"},
        "large": {"kind": "teacher", "teacher": "large"},
    }
    monkeypatch.setattr(publishing_exposure, "validated", lambda config: settings)
    readme = root / "README.md"
    readme.write_text("# x\n\n<!-- exposure:start -->\nSTALE\n<!-- exposure:end -->\n\nrest\n")
    paper = _paper_regime_run(tmp_path / "paper")
    results = root / "docs/results/exposure"
    for _ in range(2):  # a rerun replaces the published run and discloses it
        publishing_exposure.publish_paper_regime(
            paper, "configs/paper-regime.yaml", results / "paper-regime"
        )
    confirm = _paper_regime_run(
        tmp_path / "confirm",
        p_value=0.001, n_flips=20000, n_persons=240, new_worlds_estimate=0.04,
        new_worlds_low=0.01, new_worlds_high=0.07, k_worlds=8, worlds_higher=8, worlds_lower=0,
        worlds_sign_p=0.0078,
    )  # fmt: skip
    publishing_exposure.publish_paper_regime(
        confirm, "configs/paper-regime-confirm.yaml", results / "paper-regime-confirm", "shared"
    )
    publishing_exposure.publish_exposure(study, "configs/exposure.yaml", site)
    block = readme.read_text()
    assert "STALE" not in block and block.endswith("<!-- exposure:end -->\n\nrest\n")
    assert "met in 1 of 1 world(s)" in block
    assert "Probe AUROC against the reference, `small`: greedy answer 0.80 [0.70, 0.90]." in block
    assert "`large`: 0: 10.0%; the mean gold-value probability in the same bins: 20.0%." in block
    assert "The default study stays in the `slice` world: the exposure world met the success " in (
        block
    )
    assert "Paper regime (`configs/paper-regime.yaml`: student `mid` 69.0% and teacher `xl` " in (
        block
    )
    assert "means over 1 world(s), the teacher above the student in 1 of them" in block
    needed = f"{required_sample_size(0.05, 0.02):,} TriviaQA test questions per arm" in block
    assert needed and "(no finite number at the interval's low end" in block
    run = json.loads((root / "docs/results/exposure/run.json").read_text())
    assert run["student"] == "small" and run["teachers"] == ["large"] and run["wall_s"] == 1800
    text = page.read_text()
    assert text.startswith("# The exposure world: findings of the committed run")
    assert "[its full summary](results/exposure/summary.md)" in text  # linked, not inlined
    assert "# summary" not in text
    assert "Run: `configs/exposure.yaml`, wall time 30 min on 2 CPUs (test CPU)" in text
    assert "`small` 30.0%, `large` 60.0%" in text and "met in 1 of 1 world(s)" in text
    assert (root / "docs/results/exposure/inputs/labels.parquet").read_bytes() == b"labels"
    assert (root / "figures/exposure/recall_by_exposure.png").read_bytes() == b"png"
    assert (root / "figures/exposure/effect_by_gap.png").read_bytes() == b"png"  # no gap tables
    assert not (root / "figures/exposure/dose_response_grid.png").exists()  # the run had no grid
    assert "**Registered verdict: confirmed**" in text
    assert "8 of 8 worlds higher, 0 lower, p = 0.0078" in text
    assert "- Earlier, exploratory (the pair chosen after seeing these worlds" in text
    assert "It replaces the run(s) published before with the same config, which gave +5.0 " in text
    assert "[-1.0, +11.0] (commit abc123)" in text
    assert (results / "paper-regime-confirm/inputs/labels.parquet").read_bytes() == b"paper labels"
    assert json.loads((results / "paper-regime-confirm/run.json").read_text())["note"] == "shared"


def test_the_published_run_is_pooled_as_the_repooling_tool_pools(tmp_path):
    """The published run was pooled with the per-world variance floor (docs/statistics.md):
    the repooling tool, which corrected the runs before it, changes none of its rows."""
    import shutil

    sys.path.insert(0, str(ROOT / "tools"))
    import repool_published

    assert not (ROOT / "docs" / "results" / "repooled.json").exists()
    results = tmp_path / "results"
    shutil.copytree(ROOT / "docs" / "results", results)
    assert repool_published.main([str(results)]) == 0
    assert json.loads((results / "repooled.json").read_text())["changed"] == []
    published = pd.read_csv(ROOT / "docs" / "results" / "contrasts.csv")
    repooled = pd.read_csv(results / "contrasts.csv")
    columns = ["new_worlds_estimate", "new_worlds_low", "new_worlds_high"]
    assert np.allclose(published[columns], repooled[columns], atol=1e-9)
    assert "## Corrections after the run" not in (ROOT / "docs" / "findings.md").read_text()


def test_a_run_from_a_dirty_tree_is_not_published(tmp_path):
    summary = tmp_path / "results" / "s" / "summary"
    summary.mkdir(parents=True)
    (summary / "environment.json").write_text('{"git_commit": "34e2dd5-dirty"}')
    with pytest.raises(SystemExit, match="34e2dd5-dirty, not a commit; commit the change"):
        publishing_findings.publish(tmp_path / "results" / "s", "configs/x.yaml")
