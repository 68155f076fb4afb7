"""The registered verdict of a confirmatory run, and its rendering, on hand-made tables."""

import pandas as pd
import pytest

from mismatch.analysis.confirmation import primary_contrast, verdict, world_table
from mismatch.errors import InputError
from mismatch.publishing.confirmation_prose import confirmation_markdown


def _contrast(**changes):
    row = dict(
        role="primary", student="mid", treatment="xl", control="own", treatment_rate=0.33,
        control_rate=0.27, estimate=0.06, low=0.01, high=0.11, p_value=0.001, n_flips=20000,
        n_persons=240, new_worlds_estimate=0.05, new_worlds_low=0.01, new_worlds_high=0.09,
        k_worlds=8, worlds_higher=7, worlds_lower=1, worlds_sign_p=0.0703,
    )  # fmt: skip
    row.update(changes)
    return row


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"worlds_sign_p": 0.0703}, "not confirmed"),  # 7 of 8 higher: p = 0.070, not < 0.05
        ({"worlds_higher": 8, "worlds_lower": 0, "worlds_sign_p": 0.0078}, "confirmed"),
        ({"new_worlds_low": -0.01, "worlds_sign_p": 0.0078}, "not confirmed"),
        ({"new_worlds_low": -0.09, "new_worlds_high": -0.01}, "reversed"),
    ],
)
def test_the_registered_rule(changes, expected):
    assert verdict(_contrast(**changes)) == expected


def test_world_table_and_markdown():
    per_world = pd.DataFrame(
        [
            dict(role="primary", student="mid", treatment="xl", control="own", world=w,
                 kind="world", estimate=e, low=e - 0.05, high=e + 0.05)
            for w, e in ((5, 0.1), (6, -0.02))
        ]
        + [dict(role="primary", student="mid", treatment="xl", control="own",
                world="these worlds", kind="pooled", estimate=0.04, low=0.0, high=0.08)]
    )  # fmt: skip
    knowledge = pd.DataFrame(
        [
            dict(world_seed=w, model=m, split="pool", definition="measured", known_rate=r,
                 measured_known_rate=r)
            for w in (5, 6)
            for m, r in (("mid", 0.7), ("xl", 0.75))
        ]
    )  # fmt: skip
    contrast = primary_contrast(pd.DataFrame([_contrast(), _contrast(role="secondary")]))
    worlds = world_table(per_world, knowledge, contrast)
    assert worlds["world_seed"].tolist() == [5, 6]
    assert worlds["teacher_known"].tolist() == [0.75, 0.75]
    text = confirmation_markdown(contrast, worlds, "configs/x.yaml", "prereg.md", "measured")
    assert text.startswith("**Registered verdict: not confirmed**")
    assert "+5.0 [+1.0, +9.0] points" in text
    assert "7 of 8 worlds higher, 1 lower, p = 0.0703" in text
    assert "| 6 | -2.0 [-7.0, +3.0] | 70.0% | 75.0% |" in text
    with pytest.raises(InputError, match="expected one primary contrast, found 0"):
        primary_contrast(pd.DataFrame([_contrast(role="secondary")]))
