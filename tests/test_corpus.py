"""Pretraining units of a model and the shared tokenizer trained on the world's text."""

import re

import pytest
from conftest import SYNTHETIC_PROMPT, statements_of
from transformers import AutoTokenizer

from mismatch.errors import InputError
from mismatch.world.corpus import pretraining_units, world_text
from mismatch.world.fictional import World, WorldSettings, build_world, phantom_names
from mismatch.world.tokenizer import load_tokenizer, save_tokenizer, train_tokenizer

PROMPT = SYNTHETIC_PROMPT
SETTINGS = WorldSettings(
    n_entities=20,
    attributes=("profession", "instrument"),
    split_entities={"format": 4, "pool": 8, "test": 8},
    n_paraphrases=3,
)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SETTINGS, seed=5)


def known_ids(world: World) -> set[str]:
    facts = world.facts
    pool, test = (facts.loc[facts["split"] == s, "question_id"].tolist() for s in ("pool", "test"))
    return set(pool[:5] + test[:3])


def units_for(world: World, qa: bool, n_paraphrases: int = 2, seed: int = 0) -> list[str]:
    return pretraining_units(
        world,
        known_ids(world),
        PROMPT,
        n_paraphrases=n_paraphrases,
        qa_lines_for_known_facts=qa,
        n_abstention_lines=6,
        seed=seed,
    )


def qa_unit(world: World, question_id: str) -> str:
    fact = world.facts.set_index("question_id").loc[question_id]
    return PROMPT.prompt(fact["question"]) + PROMPT.target(fact["value"])


def mentions(text: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


def test_units_are_newline_ended_and_deterministic(world):
    units = units_for(world, qa=True)
    assert all(u.endswith("\n") for u in units)
    assert units == units_for(world, qa=True)


def test_no_pool_or_test_qa_unit_without_qa_lines(world):
    units = set(units_for(world, qa=False))
    facts = world.facts
    for row in facts.itertuples():
        present = qa_unit(world, row.question_id) in units
        assert present == (row.split == "format"), row.question_id


def test_qa_units_of_known_facts_with_qa_lines(world):
    units = set(units_for(world, qa=True))
    known = known_ids(world)
    for row in world.facts.itertuples():
        expected = row.split == "format" or row.question_id in known
        assert (qa_unit(world, row.question_id) in units) == expected


def test_known_and_format_facts_get_paraphrased_statements(world):
    units = units_for(world, qa=False, n_paraphrases=3)
    known = known_ids(world)
    for row in world.facts.itertuples():
        statements = [u for u in units if u in statements_of(world, row.question_id)]
        expected = 3 if row.split == "format" or row.question_id in known else 0
        assert len(statements) == len(set(statements)) == expected


def test_every_entity_appears_in_every_models_units(world):
    for qa, known in ((True, known_ids(world)), (False, set())):
        units = pretraining_units(
            world,
            known,
            PROMPT,
            n_paraphrases=1,
            qa_lines_for_known_facts=qa,
            n_abstention_lines=3,
            seed=1,
        )
        assert all(f"{entity} is a person.\n" in units for entity in world.entities)


def test_abstention_units_only_about_phantoms(world):
    units = units_for(world, qa=True)
    abstentions = [u for u in units if u.endswith(PROMPT.target(None))]
    assert len(abstentions) == 6
    phantoms = phantom_names(world, 6)
    for unit in abstentions:
        assert any(mentions(unit, name) for name in phantoms)
        assert not any(mentions(unit, entity) for entity in world.entities)
    other_text = "".join(u for u in units if u not in abstentions)
    assert not any(mentions(other_text, name) for name in phantoms)


def test_bad_paraphrase_count_names_the_key(world):
    with pytest.raises(InputError, match="n_paraphrases"):
        units_for(world, qa=True, n_paraphrases=7)


def test_world_text_holds_every_fact_form(world):
    text = set(world_text(world, PROMPT, n_abstention_lines=6))
    for row in world.facts.itertuples():
        assert qa_unit(world, row.question_id) in text
        assert statements_of(world, row.question_id) <= text
    assert set(units_for(world, qa=True)) <= text


@pytest.fixture(scope="module")
def tokenizer(world):
    return train_tokenizer(world_text(world, PROMPT, n_abstention_lines=6), vocab_size=800)


def test_tokenizer_round_trips_world_text(world, tokenizer):
    for text in world_text(world, PROMPT, n_abstention_lines=6)[:200]:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids) == text
    prompt = PROMPT.prompt("What is the profession of X?", [("Q one?", "baker")])
    with_bos = tokenizer(prompt)["input_ids"]
    assert with_bos[0] == tokenizer.bos_token_id
    assert tokenizer.decode(with_bos, skip_special_tokens=True) == prompt
    assert "\n" in tokenizer.decode(with_bos)


def test_tokenizer_special_tokens_and_save_load(tokenizer, tmp_path):
    assert len(tokenizer) <= 800
    ids = {tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id}
    assert len(ids) == 3 and None not in ids
    save_tokenizer(tokenizer, tmp_path)
    text = "Question: Who?\nAnswer: The answer is I don't know.\n"
    for loaded in (load_tokenizer(tmp_path), AutoTokenizer.from_pretrained(tmp_path)):
        assert loaded(text)["input_ids"] == tokenizer(text)["input_ids"]
        assert (loaded.bos_token, loaded.eos_token, loaded.pad_token) == ("<s>", "</s>", "<pad>")
    with pytest.raises(InputError):
        load_tokenizer(tmp_path / "missing")
