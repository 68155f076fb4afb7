"""Tests of the summary stage's analysis, gathering and rendering (no Snakemake)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mismatch.analysis.gathering import attach_persons, collect_checks, parse_keys
from mismatch.analysis.tables import (
    AnalysisSettings,
    analyse,
    contrasts_of,
    regrade,
    robustness_rules,
)
from mismatch.errors import InputError
from mismatch.report.rendering import headline_markdown, study_markdown

RECIPES = {
    "own": {"kind": "teacher", "teacher": "self"},
    "large": {"kind": "teacher", "teacher": "large"},
    "mismatch_0.00": {
        "kind": "mismatch",
        "sweep": "mismatch",
        "teacher": "large",
        "level": 0.0,
        "abstention_share": 0.25,
    },
    "mismatch_1.00": {
        "kind": "mismatch",
        "sweep": "mismatch",
        "teacher": "large",
        "level": 1.0,
        "abstention_share": 0.25,
    },
}
P_WRONG = {"own": 0.02, "large": 0.6, "mismatch_0.00": 0.1, "mismatch_1.00": 0.5, "base": 0.3}


def _study(seed=0, persons=12):
    """Two worlds of ``persons`` persons with 4 questions each; whole persons are known or not."""
    rng = np.random.default_rng(seed)
    questions, labels = [], []
    for w in (1, 2):
        knows = rng.random(persons) < 0.4
        for p in range(persons):
            for a in range(4):
                qid = f"w{w}-{p}-{a}"
                questions.append(
                    dict(world_seed=w, question_id=qid, answers=[f"gold{p}{a}"], person=f"e{p}")
                )
        for recipe, p_wrong in P_WRONG.items():
            for seed_run in [0] if recipe == "base" else (1, 2, 3):
                person_wrong = rng.random(persons) < p_wrong
                for p in range(persons):
                    for a in range(4):
                        wrong = person_wrong[p] and not knows[p]
                        abstain = not wrong and not knows[p]
                        answer = (
                            "wrongo" if wrong else ("I don't know" if abstain else f"gold{p}{a}")
                        )
                        if wrong and a == 0:
                            answer = f"gold{p}{a} or so"  # right under the contains rule only
                        labels.append(
                            dict(
                                world_seed=w,
                                student="small",
                                recipe=recipe,
                                ft_seed=seed_run,
                                question_id=f"w{w}-{p}-{a}",
                                prediction=answer,
                                answer=answer,
                                label="wrong" if wrong else ("abstain" if abstain else "correct"),
                                well_formed=True,
                                student_knows=bool(knows[p]),
                                contains_alias=wrong and a == 0,
                            )
                        )
    recipes = pd.DataFrame(
        [
            dict(
                world_seed=w,
                student="small",
                recipe=r,
                n_examples=64,
                n_answered=48,
                n_abstain=16,
                abstention_share=0.25,
                mismatch_fraction=x,
                sweep=s,
                level=lv,
                ft_seed=seed_run,
            )
            for w in (1, 2)
            for seed_run in (1, 2, 3)
            for r, x, s, lv in (
                ("own", 0.0, None, None),
                ("large", 0.5, None, None),
                ("mismatch_0.00", 0.05 * w, "mismatch", 0.0),
                ("mismatch_1.00", 0.95, "mismatch", 1.0),
            )
        ]
    )
    losses = pd.DataFrame(
        [
            dict(world_seed=w, student="small", recipe=r, ft_seed=s, step=k, loss=1.0 / (k + 1) + s)
            for w in (1, 2)
            for r in RECIPES
            for s in (1, 2, 3)
            for k in (0, 10)
        ]
    )
    return pd.DataFrame(labels), pd.DataFrame(questions), recipes, losses


@pytest.fixture(scope="module")
def tables():
    labels, questions, recipes, losses = _study()
    settings = AnalysisSettings(
        recipes=RECIPES, grading="exact", primary=None, n_boot=300, n_flips=2000
    )
    return analyse(labels, questions, recipes, losses, settings)


def test_contrasts_one_primary_the_larger_teacher():
    contrasts = contrasts_of(RECIPES, ["small"])
    assert [(c.role, c.treatment) for c in contrasts][0] == ("primary", "large")
    assert {c.role for c in contrasts[1:]} == {"secondary"} and len(contrasts) == 3
    assert contrasts_of(RECIPES, ["small"], primary="mismatch_1.00")[0].treatment == "mismatch_1.00"
    with pytest.raises(ValueError, match="analysis.primary"):
        contrasts_of(RECIPES, ["small"], primary="own")


def test_primary_contrast_is_person_level(tables):
    c = tables["contrasts"].set_index("treatment")
    primary = c.loc["large"]
    assert primary["role"] == "primary" and primary["p_holm"] == primary["p_value"]
    assert primary["n_persons"] == 24  # persons, not questions
    assert primary["low"] < primary["estimate"] < primary["high"]
    assert primary["estimate"] == pytest.approx(primary["treatment_rate"] - primary["control_rate"])
    # whole persons are wrong together: ICC 1, design effect 4, n_eff = questions / 4
    assert primary["icc"] == pytest.approx(1.0)
    assert primary["n_effective"] == pytest.approx(primary["n_questions"] / 4)
    assert primary["min_detectable"] > primary["min_detectable_naive"]
    assert primary["k_worlds"] == 2
    assert primary["new_worlds_high"] - primary["new_worlds_low"] > primary["high"] - primary["low"]
    secondary = c[c.role == "secondary"]
    assert (secondary["p_holm"] >= secondary["p_value"]).all()


def test_per_world_rows_and_pooled_rows(tables):
    rows = tables["per_world"]
    primary = rows[rows.treatment == "large"]
    assert list(primary["kind"]) == ["world", "world", "pooled", "meta"]
    assert (primary.loc[primary.kind == "world", "n_persons"] == 12).all()


def test_robustness_every_rule_and_direction(tables):
    robust = tables["robustness"]
    primary = robust[robust.treatment == "large"].set_index("rule")
    assert list(primary.index) == list(robustness_rules())
    assert primary["direction_holds"].all()
    # the contains rule turns every a == 0 wrong answer right: a smaller difference
    assert (
        primary.loc["wrong rate, contains grading", "estimate"]
        < primary.loc["wrong rate, exact grading", "estimate"]
    )
    assert (
        primary.loc["threshold score, t = 0.9", "estimate"]
        < primary.loc["threshold score, t = 0.5", "estimate"]
        < 0
    )


def test_dose_response_by_gee(tables):
    fits = tables["dose_response"].set_index("outcome")
    assert fits.loc["wrong_rate", "slope"] > 0
    assert fits.loc["wrong_rate", "n_clusters"] == 24
    assert "GEE" in fits.loc["wrong_rate", "method"]


def test_each_sweep_level_against_level_0(tables):
    """Level 1 vs level 0 of the mismatch sweep: more wrong answers, all of them on facts the
    student does not know (the planted study makes only unknown facts wrong)."""
    levels = tables["sweep_levels"].set_index("outcome")
    assert set(levels["recipe"]) == {"mismatch_1.00"} and set(levels["reference"]) == {
        "mismatch_0.00"
    }
    wrong = levels.loc["wrong rate"]
    assert wrong["low"] <= wrong["estimate"] <= wrong["high"] and wrong["estimate"] > 0.1
    assert wrong["estimate"] == pytest.approx(wrong["level_rate"] - wrong["reference_rate"])
    assert levels.loc["wrong rate, facts the student knows", "estimate"] == 0
    assert levels.loc["wrong rate, facts the student does not know", "estimate"] > wrong["estimate"]
    assert "vs 0.00" in study_markdown_levels(tables)
    from mismatch.publishing.prose import findings_markdown

    findings = findings_markdown(
        tables["headline"],
        tables["summary"],
        tables["dose_response"],
        tables["robustness"],
        tables["sweep_levels"],
    )
    assert "- mismatch, 1.00 vs 0.00: wrong rate +" in findings
    assert f"on known facts {100 * 0:+.1f}" in findings
    assert "wrong-rate slope" not in findings  # the levels against level 0 replace the slopes


def study_markdown_levels(tables) -> str:
    from mismatch.report.rendering import sweep_levels_markdown

    return sweep_levels_markdown(tables["sweep_levels"])


def test_headline_and_markdown(tables):
    head = tables["headline"]["primary"]
    json.dumps(tables["headline"])  # plain JSON
    assert head["treatment"] == "large" and head["n_persons"] == 24
    checks = [
        dict(
            student="small",
            pool_accuracy={"small": 0.4, "large": 0.9},
            checks={"large": {"margin": 0.5, "passed": True}},
            min_margin=0.1,
            world_seed=1,
        )
    ]
    knowledge = pd.DataFrame(
        [
            dict(
                world_seed=1,
                model="small",
                split="test",
                n=48,
                definition="measured",
                known_rate=0.4,
                measured_known_rate=0.4,
                memorised_recall=1.0,
                guessing_rate=0.0,
                known_correct=19,
                known_wrong=0,
                unknown_correct=0,
                unknown_wrong=29,
            )
        ]
    )
    text = study_markdown(tables, knowledge, checks, "Study")
    assert "**Primary contrast**" in text and "These worlds" in text and "New worlds" in text
    screen = text.split("## Contrasts", 1)[0]  # the summary before every table
    rows = [line for line in screen.splitlines() if line.startswith("| small ")]
    assert [line.split("|")[2].strip() for line in rows] == ["own", "large"]
    assert "![Test outcomes per recipe](../figures/outcomes.png)" in screen
    robustness = text.split("## Robustness")[1].split("\n## ")[0]
    primary_row = next(line for line in robustness.splitlines() if "large - own" in line)
    assert primary_row.count("holds") == len(robustness_rules())
    assert "mismatch_1.00 - own" in text


def test_regrade_both_rules():
    labels, questions, _, _ = _study(persons=3)
    graded = regrade(labels, questions)
    assert (graded["label_exact"] == graded["label"]).all()
    verbose = graded["answer"].str.endswith("or so")
    assert verbose.any() and (graded.loc[verbose, "label_contains"] == "correct").all()


def test_parse_keys_and_missing_persons(tmp_path):
    keys = parse_keys(
        "results/test/w2/students/small/mismatch_0.50/ft3/loss.tsv",
        "results/test/w{w}/students/{student}/{recipe}/ft{seed}/loss.tsv",
    )
    assert keys == {"world_seed": 2, "student": "small", "recipe": "mismatch_0.50", "ft_seed": 3}
    with pytest.raises(InputError, match="pattern"):
        parse_keys("results/test/x/checks/small.json", "results/test/w{w}/checks/{student}.json")
    path = tmp_path / "results/test/w7/checks/small.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"student": "small"}))
    pattern = str(tmp_path) + "/results/test/w{w}/checks/{student}.json"
    assert collect_checks([str(path)], pattern)[0]["world_seed"] == 7
    labels, questions, _, _ = _study(persons=2)
    with pytest.raises(InputError, match="unknown questions"):
        attach_persons(labels, questions.iloc[1:])
    attached = attach_persons(labels, questions)
    assert attached["person"].str.startswith("e").all() and len(attached) == len(labels)


def test_headline_markdown_with_undefined_values():
    head = {
        k: None
        for k in (
            "icc",
            "design_effect",
            "n_effective",
            "min_detectable",
            "new_worlds_estimate",
            "new_worlds_low",
            "new_worlds_high",
            "low",
            "high",
            "min_detectable_naive",
        )
    }
    head |= dict(
        student="s",
        treatment="large",
        control="own",
        treatment_rate=0.0,
        control_rate=0.0,
        estimate=0.0,
        p_value=1.0,
        n_flips=100,
        n_persons=8,
        persons_higher=0,
        persons_lower=0,
        k_worlds=1,
        worlds_higher=0,
        worlds_lower=0,
        worlds_sign_p=1.0,
        n_questions=16,
    )
    text = headline_markdown({"primary": head})
    assert "+0.0 points" in text and "needs at least 2 worlds" in text
    assert "intraclass correlation within persons n/a" in text


def test_new_worlds_interval_is_cut_at_the_possible_range():
    head = dict(
        student="s",
        treatment="large",
        control="own",
        treatment_rate=0.62,
        control_rate=0.014,
        estimate=0.608,
        low=0.483,
        high=0.728,
        p_value=5e-5,
        n_flips=20000,
        n_persons=60,
        persons_higher=44,
        persons_lower=3,
        k_worlds=2,
        worlds_higher=2,
        worlds_lower=0,
        worlds_sign_p=0.5,
        n_questions=240,
        new_worlds_estimate=0.608,
        new_worlds_low=-0.185,
        new_worlds_high=1.402,
        icc=0.83,
        design_effect=3.5,
        n_effective=68.5,
        min_detectable=0.127,
        min_detectable_naive=0.049,
    )
    text = headline_markdown({"primary": head})
    assert "+60.8 [-18.5, +100.0] (t on 1 degrees of freedom" in text
    assert "cut at it" in text
    head["new_worlds_high"] = 0.9
    assert "cut at it" not in headline_markdown({"primary": head})


def test_sign_test_over_worlds():
    from mismatch.analysis.tables import world_sign_test

    assert world_sign_test([0.1] * 8) == {
        "worlds_higher": 8,
        "worlds_lower": 0,
        "worlds_sign_p": pytest.approx(2 / 2**8),
    }
    assert world_sign_test([0.1] * 7)["worlds_sign_p"] > 0.01  # 7 worlds cannot reach 0.01
    assert world_sign_test([0.1, -0.1, 0.0])["worlds_sign_p"] == 1.0
    assert world_sign_test([])["worlds_sign_p"] == 1.0
