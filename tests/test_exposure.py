"""The exposure world's corpus: exposure counts, partial knowledge of one person, names
mentioned independently of their facts."""

import numpy as np
import pytest
from test_corpus import PROMPT, statements_of

from mismatch.errors import InputError
from mismatch.exposure import (
    ExposureSettings,
    exposure_table,
    exposure_units,
    fact_occurrences,
    name_frequency,
    name_mentions,
    person_popularity,
)
from mismatch.world import WorldSettings, build_world

WORLD = build_world(
    WorldSettings(
        n_entities=60,
        attributes=("profession", "city", "color", "instrument"),
        split_entities={"format": 6, "pool": 30, "test": 24},
        n_paraphrases=3,
    ),
    seed=3,
)
SETTINGS = ExposureSettings(
    max_exposure=12,
    popularity_exponent=0.8,
    fact_concentration=2.0,
    max_name_mentions=10,
    qa_share=0.25,
)


@pytest.fixture(scope="module")
def corpus():
    exposures = exposure_table(WORLD, SETTINGS, seed=3)
    mentions = name_mentions(WORLD, SETTINGS, seed=3)
    units = exposure_units(
        WORLD, exposures, mentions, PROMPT, qa_share=SETTINGS.qa_share, n_abstention_lines=5, seed=3
    )
    return exposures, mentions, units


def test_the_corpus_states_each_fact_exactly_its_count_of_times(corpus):
    exposures, _, units = corpus
    found = fact_occurrences(units, WORLD, PROMPT)
    expected = exposures.set_index("question_id")["exposure"]
    assert (found.loc[expected.index] == expected).all()
    assert expected.min() == 0 and expected.max() == SETTINGS.max_exposure  # the full range
    fmt = exposures[exposures.split == "format"]
    assert (fmt.exposure == SETTINGS.max_exposure).all()  # exemplar facts are always seen


def test_exposures_mix_paraphrases_and_qa_lines(corpus):
    exposures, _, units = corpus
    row = exposures[exposures.exposure == SETTINGS.max_exposure].iloc[-1]
    fact = WORLD.facts.set_index("question_id").loc[row.question_id]
    qa = PROMPT.prompt(fact["question"]) + PROMPT.target(fact["value"])
    assert units.count(qa) == round(SETTINGS.qa_share * row.exposure)
    said = [u for u in units if u in statements_of(WORLD, row.question_id)]
    assert len(set(said)) == len(statements_of(WORLD, row.question_id))  # every paraphrase used


def test_a_person_can_be_partly_known(corpus):
    exposures, _, units = corpus
    per_person = exposures[exposures.split != "format"].groupby("entity")["exposure"]
    partly = per_person.apply(lambda e: (e > 0).any() and (e == 0).any())
    assert partly.sum() >= 5
    person = partly[partly].index[0]
    rows = exposures[exposures.entity == person]
    seen = rows[rows.exposure > 0].question_id.iloc[0]
    unseen = rows[rows.exposure == 0].question_id.iloc[0]
    assert any(u in statements_of(WORLD, seen) for u in units)
    assert not any(u in statements_of(WORLD, unseen) for u in units)


def test_popularity_is_long_tailed_and_drives_exposure(corpus):
    exposures, _, _ = corpus
    popularity = person_popularity(WORLD, SETTINGS.popularity_exponent, seed=3)
    assert popularity.max() == 1.0 and popularity.min() < 0.1
    facts = exposures[exposures.split != "format"]
    r = np.corrcoef(facts.popularity, facts.exposure)[0, 1]
    assert r > 0.5


def test_name_frequency_is_decoupled_from_exposure(corpus):
    """Name-only mentions are drawn independently, so name frequency tracks a person's total
    exposure only loosely: the cue the slice world gives for free is weakened."""
    exposures, mentions, units = corpus
    frequency = name_frequency(units, WORLD)
    per_person = exposures.groupby("entity")["exposure"].sum()
    assert (frequency.loc[per_person.index] >= per_person).all()
    assert (frequency >= mentions.loc[frequency.index]).all()
    assert np.corrcoef(mentions.loc[per_person.index], per_person)[0, 1] < 0.5


def test_the_same_seed_gives_the_same_corpus(corpus):
    exposures, mentions, units = corpus
    again = exposure_table(WORLD, SETTINGS, seed=3)
    assert again.equals(exposures)
    assert not exposure_table(WORLD, SETTINGS, seed=4)["exposure"].equals(exposures["exposure"])


def test_bad_settings_name_the_key():
    with pytest.raises(InputError, match="questions.synthetic.exposure: max_exposure"):
        ExposureSettings.from_config(
            {
                "max_exposure": 0,
                "popularity_exponent": 1.0,
                "fact_concentration": 2.0,
                "max_name_mentions": 3,
                "qa_share": 0.2,
            }
        )
