"""One results folder per study: naming, the end-of-run epilogue, listing and comparing."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.studies import (
    comparison_table,
    headline_line,
    list_studies,
    run_epilogue,
    study_dir,
    study_name,
)

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


def test_the_epilogue_of_a_partial_run_still_says_where_things_are(tmp_path):
    (tmp_path / "s" / "summary").mkdir(parents=True)
    (tmp_path / "s" / "summary" / "headline.json").write_text("x")  # not a headline
    text = run_epilogue(tmp_path / "s")
    assert "Headline" not in text and "summary/summary.md" in text
    assert "Headline" not in run_epilogue(tmp_path / "absent")
