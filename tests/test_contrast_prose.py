"""A contrast in plain words (the real-model study's README sentences), from the tables alone."""

import pandas as pd

from mismatch.publishing.contrast_prose import (
    contrast_row,
    contrast_sentence,
    control_sentence,
    mismatched_targets,
)

CONTRASTS = pd.DataFrame(
    [
        ("smollm2", "other", "own", 0.052, 0.011, 0.094, 0.004, 120),
        ("smollm2", "gold", "own", 0.30, 0.25, 0.35, 0.0001, 120),
        ("gemma3", "other", "own", -0.031, -0.07, 0.008, 0.12, 120),
    ],
    columns=["student", "treatment", "control", "estimate", "low", "high", "p_value", "n_persons"],
)
SUMMARY = pd.DataFrame(
    [
        ("smollm2", "own", 0.20, 0.10, 0.70),
        ("smollm2", "other", 0.21, 0.152, 0.638),
        ("gemma3", "own", 0.50, 0.20, 0.30),
        ("gemma3", "other", 0.48, 0.169, 0.351),
    ],
    columns=["student", "recipe", "correct_rate", "wrong_rate", "abstain_rate"],
)


def test_a_direction_reads_as_one_sentence_with_its_cluster_interval():
    row = contrast_row(CONTRASTS, "smollm2", "other", "own")
    text = contrast_sentence(row, SUMMARY, "the larger `gemma3`'s answers", "countries")
    assert text.startswith("`smollm2` fine-tuned on the larger `gemma3`'s answers (`other`)")
    assert "21.0% of the unseen test questions correctly (`own`: 20.0%)" in text
    assert "wrongly more often, 15.2% (10.0%)" in text
    assert "+5.2 [+1.1, +9.4] points (95% interval resampling countries" in text
    assert "sign-flip test over 120 countries, p = 0.004" in text


def test_the_sentence_says_how_many_unknown_answers_the_sets_taught():
    sets = pd.DataFrame(
        {
            "student": "smollm2",
            "recipe": ["other", "other"],
            "n_examples": [200, 200],
            "n_answered": [100, 110],
            "mismatch_fraction": [0.5, 0.6],
        }
    )
    assert mismatched_targets(sets, "smollm2", "other") == (58.0, 200.0)
    row = contrast_row(CONTRASTS, "smollm2", "other", "own")
    text = contrast_sentence(row, SUMMARY, "the larger `gemma3`'s answers", "countries", sets)
    assert "(`other`; per set, 58.0 of 200 targets were answers it did not know)" in text


def test_a_reversed_effect_says_less_and_controls_list_the_other_recipes():
    row = contrast_row(CONTRASTS, "gemma3", "other", "own")
    text = contrast_sentence(row, SUMMARY, "the smaller `smollm2`'s answers", "countries")
    assert "wrongly less often, 16.9% (20.0%)" in text and "-3.1 [-7.0, +0.8]" in text
    assert control_sentence(CONTRASTS, "smollm2", "other", "own") == (
        "Controls (smollm2): `gold - own` +30.0 [+25.0, +35.0] points."
    )
    assert control_sentence(CONTRASTS, "gemma3", "other", "own") == ""
    assert contrast_row(CONTRASTS, "gemma3", "gold", "own") is None
