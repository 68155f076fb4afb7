"""Results by relation: accuracy per model and relation, the 2x2 of who knows what, and each
contrast's effect per relation with the study's cluster bootstrap
(mismatch/analysis/relations.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mismatch.analysis.clustered import build_design, resample
from mismatch.analysis.relations import (
    effect_by_relation,
    knowledge_by_relation,
    relation_columns,
    who_knows,
)
from mismatch.analysis.tables import Contrast
from mismatch.errors import InputError


def _answers():
    rows = []
    # relation r1: s knows q1, q2; t knows q1, q3; relation r2: only t knows q4
    known = {"s": {"q1", "q2"}, "t": {"q1", "q3", "q4"}}
    relation = {"q1": "r1", "q2": "r1", "q3": "r1", "q4": "r2"}
    for model in ("s", "t"):
        for q, r in relation.items():
            rows.append(
                dict(world_seed=1, model=model, split="pool", question_id=q, relation=r,
                     correct=q not in known[model], knows=q in known[model],
                     definition="truth")
            )  # fmt: skip
    return pd.DataFrame(rows)  # graded answers opposite to knowing: the tables read knows


def test_accuracy_per_model_and_relation_names_its_definition():
    table = knowledge_by_relation(_answers()).set_index(["model", "relation"])
    assert table.loc[("s", "r1"), "known_rate"] == pytest.approx(2 / 3)
    assert table.loc[("t", "r2"), "known_rate"] == 1.0 and table.loc[("s", "r2"), "n"] == 1
    assert set(table["definition"]) == {"truth"}
    with pytest.raises(InputError, match=r"^gathered answers: no knows column; regather them"):
        knowledge_by_relation(_answers().drop(columns=["knows", "definition"]))


def test_who_knows_counts_the_four_cells_per_relation():
    table = who_knows(_answers(), ["s"]).set_index("relation")
    assert table.loc["r1", ["n", "both", "teacher_only", "student_only", "neither"]].tolist() == [
        3, 1, 1, 1, 0,
    ]  # fmt: skip
    assert table.loc["r2", ["both", "teacher_only", "student_only", "neither"]].tolist() == [
        0, 1, 0, 0,
    ]  # fmt: skip
    assert set(table["teacher"]) == {"t"} and set(table["definition"]) == {"truth"}


def test_the_effect_per_relation_is_the_difference_of_wrong_rates_within_it():
    rng = np.random.default_rng(0)
    rows = []
    for recipe, wrong_rate in (("own", {"a": 0.1, "b": 0.2}), ("big", {"a": 0.5, "b": 0.2})):
        for seed in (1, 2):
            for person in range(30):
                for relation in ("a", "b"):
                    rows.append(
                        dict(world_seed=1, student="s", recipe=recipe, ft_seed=seed,
                             person=f"p{person}", relation=relation,
                             wrong=float(rng.random() < wrong_rate[relation]))
                    )  # fmt: skip
    data = pd.DataFrame(rows)
    columns = ["wrong", *relation_columns(data)]
    draws = resample(build_design(data, columns), 200, 0)
    table = effect_by_relation([Contrast("primary", "s", "big", "own")], draws).set_index(
        "relation"
    )
    for relation in ("a", "b"):
        part = data[data["relation"] == relation]
        rates = part.groupby("recipe")["wrong"].mean()
        assert table.loc[relation, "estimate"] == pytest.approx(rates["big"] - rates["own"])
        assert table.loc[relation, "low"] <= table.loc[relation, "estimate"]
        assert table.loc[relation, "estimate"] <= table.loc[relation, "high"]
    assert table.loc["a", "low"] > 0.15 and table.loc["b", "low"] < 0 < table.loc["b", "high"]


def test_the_knowledge_table_names_the_truth_not_what_a_model_saw():
    """In the exposure world a fact not truly known (held-out paraphrase failed) may have been
    seen in pretraining, so the table says "not truly known", never "never saw"."""
    from mismatch.report.rendering import knowledge_markdown

    table = pd.DataFrame(
        [dict(world_seed=1, model="xl", split="pool", n=10, definition="truth", known_rate=0.5,
              measured_known_rate=0.7,
              memorised_recall=0.9, guessing_rate=0.6, known_correct=4, known_wrong=1,
              unknown_correct=3, unknown_wrong=2)]
    )  # fmt: skip
    text = knowledge_markdown(table)
    assert "Correct where not truly known" in text and "60.0%" in text
    assert "never saw" not in text and "4 / 1 / 3 / 2" in text
