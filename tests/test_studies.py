"""One results folder per study: naming, the end-of-run epilogue, listing and comparing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.plan_estimate import study_progress
from mismatch.studies import (
    comparison_table,
    headline_line,
    list_studies,
    run_epilogue,
    study_dir,
    study_name,
)
from mismatch.study_state import (
    deletable_study,
    published_studies,
    read_marker,
    write_marker,
)

TOOL = Path(__file__).resolve().parents[1] / "tools" / "studies.py"

HEADLINE = {
    "primary": {
        "student": "small",
        "treatment": "large",
        "control": "own",
        "treatment_rate": 0.586,
        "control_rate": 0.008,
        "estimate": 0.578,
        "low": 0.517,
        "high": 0.636,
        "n_questions": 960,
        "n_persons": 240,
        "k_worlds": 8,
    }
}


def _config(path, text="models: {}\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_embedded_default_is_the_default_study(tmp_path):
    default = _config(tmp_path / "config.yaml")
    assert study_name([default], None, tmp_path) == "default"
    assert study_name([], None, tmp_path) == "default"


def test_a_config_file_names_its_study_by_its_stem(tmp_path):
    assert study_name([_config(tmp_path / "configs" / "exposure.yaml")], {}, tmp_path) == "exposure"
    # a config.yaml elsewhere than the workflow's root is not the embedded default
    assert study_name([_config(tmp_path / "x" / "config.yaml")], {}, tmp_path) == "config"


def test_the_study_key_counts_in_the_given_file_and_the_command_line_wins(tmp_path):
    base = _config(tmp_path / "base.yaml", "study: base\n")
    overlay = _config(tmp_path / "overlay.yaml", "extends: base.yaml\n")
    assert study_name([base], None, tmp_path) == "base"
    assert study_name([overlay], None, tmp_path) == "overlay"  # not inherited from its base
    assert study_name([overlay], {"study": "cli"}, tmp_path) == "cli"
    assert study_dir("cli") == "results/cli"


@pytest.mark.parametrize("bad", ["../up", ".hidden", "a b", "x/y", ""])
def test_a_study_name_that_is_no_folder_name_is_one_line_naming_the_key(tmp_path, bad):
    with pytest.raises(InputError) as caught:
        study_name([], {"study": bad}, tmp_path)
    message = str(caught.value)
    assert message.startswith("study: ") and "\n" not in message


def _finished(root, name, wrong):
    summary = root / name / "summary"
    summary.mkdir(parents=True)
    (summary / "headline.json").write_text(json.dumps(HEADLINE))
    (summary / "summary.md").write_text("# summary\n")
    (root / name / "figures").mkdir()
    (root / name / "figures" / "outcomes.png").write_bytes(b"png")
    row = {"student": "small", "recipe": "large", "n": 10, "n_worlds": 1}
    for metric, value in (("correct_rate", 0.4), ("wrong_rate", wrong), ("abstain_rate", 0.1)):
        row.update({metric: value, f"{metric}_low": value - 0.1, f"{metric}_high": value + 0.1})
    pd.DataFrame([row]).to_csv(summary / "summary.csv", index=False)


def test_studies_are_listed_and_compared_side_by_side(tmp_path):
    _finished(tmp_path, "default", 0.5)
    _finished(tmp_path, "controls", 0.3)
    (tmp_path / "exposure" / "w1").mkdir(parents=True)  # started, not finished
    (tmp_path / "not-a-study").mkdir()
    records = list_studies(tmp_path)
    assert [(r.name, r.finished) for r in records] == [
        ("controls", True),
        ("default", True),
        ("exposure", False),
    ]
    table = comparison_table([tmp_path / "default", tmp_path / "controls"])
    assert table["study"].tolist() == ["default", "controls"]
    assert table["wrong_rate"].tolist() == [0.5, 0.3]
    with pytest.raises(InputError, match="has this study finished"):
        comparison_table([tmp_path / "exposure"])


def test_the_epilogue_is_short_and_points_to_the_full_summary(tmp_path):
    _finished(tmp_path, "default", 0.5)
    text = run_epilogue(tmp_path / "default")
    assert len(text.splitlines()) <= 8
    assert headline_line(HEADLINE) in text
    assert "+57.8 [+51.7, +63.6] points" in headline_line(HEADLINE)
    assert "summary/summary.md" in text and "figures" in text
    countries = run_epilogue(tmp_path / "default", "country")
    assert "resampling countries and seed runs" in countries and "persons" not in countries


def test_the_epilogue_of_a_partial_run_says_only_what_exists(tmp_path):
    (tmp_path / "s" / "summary").mkdir(parents=True)
    (tmp_path / "s" / "summary" / "headline.json").write_text("x")  # not a headline
    text = run_epilogue(tmp_path / "s")
    assert "Headline" not in text and "summary/summary.md" not in text
    assert "finished" not in text and "not built yet" in text and str(tmp_path / "s") in text
    for absent in ("Figures", "Tables", "HTML report"):
        assert absent not in text
    assert "Headline" not in run_epilogue(tmp_path / "absent")


def test_list_shows_failed_running_and_published_studies(tmp_path):
    _finished(tmp_path, "real-small", 0.5)
    (tmp_path / "only-logs" / "logs").mkdir(parents=True)  # failed before any output
    write_marker(tmp_path / "broke", "broke", "running")
    (tmp_path / "broke" / "w1").mkdir()
    write_marker(tmp_path / "broke", "broke", "failed")
    write_marker(tmp_path / "going", "going", "running")
    (tmp_path / "published-only" / "w1").mkdir(parents=True)
    docs = tmp_path / "docs"
    (docs / "real-small").mkdir(parents=True)
    (docs / "real-small" / "run.json").write_text('{"config": "configs/real-small.yaml"}')
    (docs / "run.json").write_text('{"config": "configs/published-only.yaml"}')
    published = published_studies([docs])
    assert published == {"real-small", "published-only"}
    states = {r.name: r.state for r in list_studies(tmp_path, published)}
    assert states == {
        "broke": "failed",
        "going": "running",
        "only-logs": "failed",
        "published-only": "published",
        "real-small": "published",
    }
    assert read_marker(tmp_path / "broke")["started"]  # kept from the run's start


def _study(root, name):
    write_marker(root / name, name, "finished")
    (root / name / "w1").mkdir()
    return root / name


@pytest.mark.parametrize(
    ("root", "name", "says"),
    [
        ("results", "..", "not a study name"),
        ("results", "/", "not a study name"),
        ("results", "/tmp", "not a study name"),
        ("results", "a/../b", "not a study name"),
        ("results", ".", "not a study name"),
        ("results", "plain", "has no .mismatch-study.json"),
        ("results", "absent", "no such study folder"),
        ("results", "link", "is a link"),
        ("results", "other", "names study 'elsewhere'"),
        ("/", "x", "clean deletes only under"),
        ("results/..", "results", "clean deletes only under"),
        ("elsewhere", "s", "clean deletes only under"),
    ],
)
def test_clean_acts_only_on_a_marked_study_folder_under_the_results_root(
    tmp_path, root, name, says
):
    results = tmp_path / "results"
    _study(results, "s")
    (results / "plain").mkdir()
    write_marker(results / "other", "elsewhere", "finished")
    (results / "link").symlink_to(tmp_path)
    _study(tmp_path / "elsewhere", "s")
    given = Path(root) if Path(root).is_absolute() else tmp_path / root
    with pytest.raises(InputError) as caught:
        deletable_study(results, given, name)
    message = str(caught.value)
    assert says in message and "\n" not in message
    assert deletable_study(results, results, "s") == results / "s"


def test_the_clean_command_refuses_in_one_line_and_deletes_nothing(tmp_path):
    for args in (["clean", ".."], ["clean", "/"], ["--root", "/", "clean", "x"], ["clean", "/tmp"]):
        done = subprocess.run(
            [sys.executable, str(TOOL), *args, "--yes"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr
    assert TOOL.is_file()


def test_progress_of_a_running_study_says_jobs_and_time_left(tmp_path):
    folder = tmp_path / "default"
    write_marker(folder, "default", "running", config=str(TOOL.parents[1] / "config.yaml"))
    (folder / "benchmarks" / "w1").mkdir(parents=True)
    for name in ("synthetic_world", "train_tokenizer"):
        (folder / "benchmarks" / "w1" / f"{name}.tsv").write_text("s\n1\n")
    line = study_progress(folder)
    assert line.startswith("default (running): 2 of about ") and "min left on 2 core(s)" in line
    with pytest.raises(InputError, match="has this study started"):
        study_progress(tmp_path / "never")
