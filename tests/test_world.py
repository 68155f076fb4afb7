"""The synthetic world: determinism, splits, question schema and nested knowledge slices."""

import pytest

from mismatch.errors import InputError
from mismatch.io import read_parquet, write_parquet
from mismatch.world.fictional import (
    ATTRIBUTES,
    World,
    WorldSettings,
    build_world,
    knowledge_slices,
    phantom_names,
    question_set,
)

SETTINGS = WorldSettings(
    n_entities=30,
    attributes=("profession", "city", "sport"),
    split_entities={"format": 4, "pool": 14, "test": 12},
    n_paraphrases=3,
)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SETTINGS, seed=3)


def test_catalogue_is_rich_enough():
    assert len(ATTRIBUTES) >= 6
    for attribute in ATTRIBUTES.values():
        assert 24 <= len(attribute.values) <= 40
        assert len(set(attribute.values)) == len(attribute.values)
        assert len(attribute.statements) >= 4
        assert all(v.isascii() and len(v.split()) <= 2 for v in attribute.values)
        assert "{entity}" in attribute.question
        assert all("{entity}" in s and "{value}" in s for s in attribute.statements)


def test_same_seed_same_world_and_other_seed_differs(world):
    again = build_world(SETTINGS, seed=3)
    other = build_world(SETTINGS, seed=4)
    assert again.entities == world.entities
    assert again.facts.equals(world.facts)
    assert other.entities != world.entities
    assert list(other.facts["value"]) != list(world.facts["value"])


def test_settings_from_config_ignore_other_keys():
    section = {
        "n_entities": 30,
        "attributes": ["profession", "city", "sport"],
        "split_entities": {"format": 4, "pool": 14, "test": 12},
        "n_paraphrases": 3,
        "vocab_size": 1200,
        "slice_unit": "entity",
    }
    assert WorldSettings.from_config(section) == SETTINGS


def test_world_from_written_facts_is_the_same_world(world, tmp_path):
    write_parquet(world.facts, tmp_path / "facts.parquet")
    again = World.from_facts(read_parquet(tmp_path / "facts.parquet"))
    assert (again.seed, again.entities, again.attributes) == (
        world.seed,
        world.entities,
        SETTINGS.attributes,
    )
    assert again.facts.equals(world.facts)
    assert phantom_names(again, 5) == phantom_names(world, 5)
    with pytest.raises(InputError, match="facts"):
        World.from_facts(world.facts.drop(columns="value"))


def test_facts_cover_every_entity_attribute_once(world):
    facts = world.facts
    assert len(facts) == 30 * 3
    assert facts["question_id"].is_unique
    assert len(set(world.entities)) == 30
    assert set(facts["attribute"]) == set(SETTINGS.attributes)
    for row in facts.itertuples():
        assert row.value in ATTRIBUTES[row.attribute].values
        assert row.entity in row.question
        assert row.question_id.startswith("w3-")


def test_splits_are_disjoint_by_entity_and_sized(world):
    entities_of = {
        split: set(world.facts.loc[world.facts["split"] == split, "entity"])
        for split in ("format", "pool", "test")
    }
    assert {k: len(v) for k, v in entities_of.items()} == {"format": 4, "pool": 14, "test": 12}
    assert not entities_of["test"] & entities_of["pool"]
    assert not entities_of["format"] & (entities_of["pool"] | entities_of["test"])


def test_question_set_schema(world):
    questions = question_set(world, "test")
    assert list(questions.columns) == ["question_id", "question", "answers", "entity", "attribute"]
    assert len(questions) == 12 * 3
    facts = world.facts.set_index("question_id")
    for row in questions.itertuples():
        assert row.answers[0] == facts.loc[row.question_id, "value"]
        assert facts.loc[row.question_id, "split"] == "test"


def test_phantoms_are_not_entities(world):
    phantoms = phantom_names(world, 25)
    assert len(set(phantoms)) == 25
    assert not set(phantoms) & set(world.entities)
    assert phantom_names(world, 25) == phantoms


@pytest.mark.parametrize("unit", ["entity", "fact"])
def test_knowledge_slices_are_nested_and_stratified(world, unit):
    slices = knowledge_slices(world, {"small": 0.4, "large": 0.9}, unit, seed=1)
    assert set(slices.columns) == {"question_id", "model", "truly_known"}
    known = {
        model: set(group.loc[group["truly_known"], "question_id"])
        for model, group in slices.groupby("model")
    }
    assert known["small"] < known["large"]
    facts = world.facts.set_index("question_id")
    for model, fraction in (("small", 0.4), ("large", 0.9)):
        for split, n_entities in (("pool", 14), ("test", 12)):
            split_ids = set(facts.index[facts["split"] == split])
            n_units = n_entities if unit == "entity" else n_entities * 3
            expected = round(fraction * n_units) * (3 if unit == "entity" else 1)
            assert len(known[model] & split_ids) == expected
        format_ids = set(facts.index[facts["split"] == "format"])
        assert format_ids <= known[model]
    if unit == "entity":
        by_entity = slices.merge(world.facts, on="question_id").groupby(["model", "entity"])
        assert by_entity["truly_known"].nunique().max() == 1


def test_slices_of_models_taken_one_at_a_time_are_still_nested(world):
    together = knowledge_slices(world, {"small": 0.4, "large": 0.9}, "entity", seed=1)
    for model, fraction in (("small", 0.4), ("large", 0.9)):
        alone = knowledge_slices(world, {model: fraction}, "entity", seed=1)
        expected = together[together["model"] == model].reset_index(drop=True)
        assert alone.equals(expected)


def test_knowledge_slices_depend_on_seed(world):
    first = knowledge_slices(world, {"m": 0.5}, "entity", seed=1)
    second = knowledge_slices(world, {"m": 0.5}, "entity", seed=2)
    assert first.equals(knowledge_slices(world, {"m": 0.5}, "entity", seed=1))
    assert list(first["truly_known"]) != list(second["truly_known"])


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"attributes": ("profession", "hairstyle")}, "questions.synthetic.attributes"),
        (
            {"split_entities": {"format": 4, "pool": 20, "test": 12}},
            "questions.synthetic.split_entities",
        ),
        ({"n_paraphrases": 9}, "questions.synthetic.n_paraphrases"),
    ],
)
def test_bad_settings_name_the_key(changes, key):
    settings = WorldSettings(**{**SETTINGS.__dict__, **changes})
    with pytest.raises(InputError, match=key):
        build_world(settings, seed=0)
