"""Real facts as questions: the package facts, the user's fact table in three formats, splits by
cluster, and one-line errors for every bad table (mismatch/questions/package_facts.py,
fact_questions.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from workflow_runs import ROOT

from mismatch.answers.grading import is_correct
from mismatch.errors import InputError
from mismatch.questions.fact_sets import fact_sets, load_fact_table, split_by_cluster
from mismatch.questions.package_facts import CAPITAL_FIXES, DEFUNCT, RELATIONS, package_facts
from mismatch.questions.sources import SOURCES

FIXTURES = ROOT / "tests" / "fixtures" / "facts"
SETTINGS = {
    "table": None,
    "relations": list(RELATIONS),
    "max_cities": 1500,
    "test_size": 700,
    "format_size": 40,
    "pool_size": None,
}


@pytest.fixture(scope="module")
def facts():
    return package_facts()


def test_the_package_facts_are_2000_questions_over_4_relations(facts):
    assert len(facts) >= 2000 and set(facts["relation"]) == set(RELATIONS)
    assert facts["question_id"].is_unique and facts["entity"].nunique() > 200
    assert (facts["popularity"] >= 0).all() and facts["answers"].map(len).min() >= 1
    for relation in RELATIONS:  # several templates per relation are in use
        questions = facts.loc[facts["relation"] == relation, "question"]
        assert questions.str.split().str[0].nunique() >= 2, relation


def test_usual_names_are_gold_aliases_and_america_is_not_one(facts):
    us_city = facts[(facts["relation"] == "city_country") & (facts["entity"] == "US")].iloc[0]
    assert {"United States", "USA", "United States of America"} <= set(us_city["answers"])
    assert "America" not in us_city["answers"]  # it would match "North America" (contains)
    assert not is_correct("North America", us_city["answers"], "contains")
    assert is_correct("the USA", us_city["answers"], "contains")


def test_stale_and_defunct_entries_are_corrected_or_dropped(facts):
    assert not set(DEFUNCT) & set(facts["entity"])
    kazakhstan = facts[(facts["entity"] == "KZ") & (facts["relation"] == "capital")].iloc[0]
    assert kazakhstan["answers"][0] == CAPITAL_FIXES["KZ"][0] == "Astana"
    assert not facts["question"].str.contains("Serbia and Montenegro").any()


def test_no_city_name_has_two_answers(facts):
    cities = facts[facts["relation"] == "city_country"]
    assert cities["question_id"].is_unique and len(cities) == 1500


def test_splits_are_disjoint_by_country_deterministic_and_sized():
    first, again = fact_sets(SETTINGS, 1), fact_sets(SETTINGS, 1)
    for split in first:
        pd.testing.assert_frame_equal(first[split], again[split])
    entities = [set(first[s]["entity"]) for s in ("pool", "test", "format")]
    assert not entities[0] & entities[1] and not entities[0] & entities[2]
    assert not entities[1] & entities[2]
    assert len(first["test"]) >= 700 and len(first["format"]) >= 40 and len(first["pool"]) >= 1000
    other = fact_sets(SETTINGS, 2)
    assert set(other["test"]["entity"]) != entities[1]  # another split seed, another split
    assert (first["test"]["attribute"] == first["test"]["relation"]).all()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_the_users_table_reads_the_same_in_every_format(suffix):
    table = load_fact_table(FIXTURES / f"facts{suffix}")
    assert len(table) == 8 and table["question_id"].is_unique
    assert table.loc[0, "answers"] == ["William Shakespeare", "Shakespeare"]
    assert table.loc[1, "answers"] == ["William Shakespeare", "Shakespeare"]  # a JSON list
    assert list(table["entity"][:2]) == ["shakespeare", "shakespeare"]
    assert table["popularity"].tolist()[:2] == [100.0, 90.0]
    assert load_fact_table(FIXTURES / "facts.csv").equals(table)


def test_a_table_splits_by_its_cluster_column():
    sets = split_by_cluster(load_fact_table(FIXTURES / "facts.csv"), 2, 1, seed=3, where="t")
    clusters = [set(sets[s]["entity"]) for s in ("pool", "test", "format")]
    assert sum(len(sets[s]) for s in sets) == 8
    assert not clusters[0] & clusters[1] and not clusters[1] & clusters[2]
    small = split_by_cluster(load_fact_table(FIXTURES / "facts.csv"), 2, 1, 3, "t", pool_size=1)
    assert 1 <= len(small["pool"]) < len(sets["pool"])  # the pool stops at whole clusters
    with pytest.raises(InputError, match="leave the pool set empty"):
        split_by_cluster(load_fact_table(FIXTURES / "facts.csv"), 7, 1, seed=3, where="t")


BAD = [
    ("facts.txt", "x", "unsupported fact table type '.txt'"),
    ("missing.csv", None, "fact table does not exist"),
    ("nocol.csv", "question,relation\nA?,r\n", "missing column(s) answers"),
    ("empty.csv", "question,answers\n", "no rows"),
    ("blank.csv", "question,answers\nA?,x\n ,y\n", "row 2: column question is empty"),
    ("dup.csv", "question,answers\nA?,x\na?,y\n", "row 2: question repeats an earlier row"),
    ("noanswer.csv", "question,answers\nA?,x\nB?,\n", "row 2: column answers has no gold"),
    ("pop.csv", "question,answers,popularity\nA?,x,3\nB?,y,many\n", "row 2: column popularity"),
]


@pytest.mark.parametrize(("name", "text", "problem"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_table_is_one_line_naming_the_file_and_the_row_or_column(
    tmp_path, name, text, problem
):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_fact_table(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and problem in message and "\n" not in message


def test_facts_is_one_entry_of_the_question_source_registry(tmp_path):
    source = SOURCES["facts"]
    assert source.rule == "fact_questions"
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answers\nA?,\n")
    with pytest.raises(InputError, match="row 1: column answers"):
        source.check({"facts": {**SETTINGS, "table": str(bad)}}, "questions")
    assert {s.rule for s in SOURCES.values()} == {
        "synthetic_world",
        "triviaqa_questions",
        "file_questions",
        "fact_questions",
    }


def test_the_real_model_study_has_the_registered_minimum_sizes():
    """configs/real-small.yaml: >= 2,000 questions over >= 4 relations, >= 600 test questions,
    >= 5 seeds for own and other (every recipe has all seeds), both models students."""
    from mismatch.configuration import layered_config, validated

    config = validated(layered_config([ROOT / "configs" / "real-small.yaml"]))
    facts = config["questions"]["facts"]
    sets = fact_sets(facts, config["seeds"]["world"][0])
    assert sum(len(s) for s in sets.values()) >= 2000
    assert sets["test"]["relation"].nunique() >= 4 and len(sets["test"]) >= 600
    assert len(config["seeds"]["finetune"]) >= 5
    assert {"own", "other", "gold", "random_idk"} <= set(config["recipes"])
    assert set(config["students"]) == {"smollm2", "gemma3"}
    assert config["finetune_set_size"] <= len(sets["pool"])


def test_the_cluster_unit_is_named_by_the_question_source():
    from mismatch.configuration import layered_config, validated
    from mismatch.questions.sources import cluster_unit

    def unit(*files, **changes):
        config = validated(layered_config([ROOT / f for f in files]))
        for key, value in changes.items():
            config["questions"]["facts"][key] = value
        return cluster_unit(config)

    assert unit("config.yaml") == "person"
    assert unit("configs/real-small.yaml") == "country"
    assert unit("configs/real-small.yaml", table="facts.csv") == "cluster"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "nulls.csv",
            "question,answers,relation,cluster,popularity\nA?,x,r,c1,3\nB?,y,,,\nC?,z,r,c2,1\n",
        ),
        (
            "nulls.jsonl",
            '{"question": "A?", "answers": ["x"], "relation": "r", "cluster": "c1", '
            '"popularity": 3}\n'
            '{"question": "B?", "answers": ["y"], "relation": null, "cluster": null, '
            '"popularity": null}\n'
            '{"question": "C?", "answers": ["z"], "relation": "r", "cluster": "c2", '
            '"popularity": 1}\n',
        ),
    ],
)
def test_an_optional_column_may_hold_nulls(tmp_path, name, text):
    """A null (JSON null, an empty CSV cell) is "not given" for that row: the default relation,
    the question its own cluster, no popularity; the table splits (issue 31)."""
    path = tmp_path / name
    path.write_text(text)
    table = load_fact_table(path)
    assert table["relation"].tolist() == ["r", "fact", "r"]
    assert table.loc[0, "entity"] == "c1" and table.loc[1, "entity"] == table.loc[1, "question_id"]
    assert table.loc[0, "popularity"] == 3.0 and pd.isna(table.loc[1, "popularity"])
    sets = split_by_cluster(table, 1, 1, seed=1, where=str(path))
    assert sorted(len(s) for s in sets.values()) == [1, 1, 1]
