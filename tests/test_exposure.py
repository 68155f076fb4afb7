"""The exposure world's corpus: exposure counts, partial knowledge of one person, names
mentioned independently of their facts."""

import numpy as np
import pytest
from conftest import SYNTHETIC_PROMPT as PROMPT
from conftest import statements_of

from mismatch.errors import InputError
from mismatch.world.exposure import (
    TRAINING_QUESTIONS,
    ExposureSettings,
    exposure_table,
    exposure_units,
    fact_occurrences,
    name_frequency,
    name_mentions,
    person_popularity,
)
from mismatch.world.fictional import WorldSettings, build_world

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
    reworded = TRAINING_QUESTIONS[fact["attribute"]].format(entity=fact["entity"])
    other = PROMPT.prompt(reworded) + PROMPT.target(fact["value"])
    n_qa = round(SETTINGS.qa_share * row.exposure)
    assert (units.count(qa), units.count(other)) == ((n_qa + 1) // 2, n_qa // 2)  # alternating
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


def test_knows_belongs_to_the_slice_world_only():
    """The exposure world has one corpus: a model's `knows` there is refused, and the slice
    world still requires it, each in one line naming the key."""
    from mismatch.configuration import check_config, layered_config, validated

    exposure = validated(layered_config(["configs/exposure.yaml"]))
    check_config(exposure)
    exposure["models"]["mid"]["pretrain"]["knows"] = 0.5
    with pytest.raises(InputError, match="models.mid.pretrain.knows: the exposure world has one"):
        check_config(exposure)
    default = validated(layered_config(["config.yaml"]))
    del default["models"]["large"]["pretrain"]["knows"]
    with pytest.raises(InputError, match="models.large.pretrain.knows: required"):
        check_config(default)


def test_heldout_questions_paraphrase_every_pool_and_test_fact():
    from mismatch.world.exposure import HELDOUT_QUESTIONS, heldout_questions
    from mismatch.world.fictional import ATTRIBUTES

    heldout = heldout_questions(WORLD)
    facts = WORLD.facts[WORLD.facts.split != "format"]
    assert heldout.question_id.tolist() == facts.question_id.tolist()
    assert (heldout.question.to_numpy() != facts.question.to_numpy()).all()
    assert set(HELDOUT_QUESTIONS) == set(ATTRIBUTES)
    assert all(HELDOUT_QUESTIONS[a] != ATTRIBUTES[a].question for a in ATTRIBUTES)
    assert all(HELDOUT_QUESTIONS[a] != TRAINING_QUESTIONS[a] for a in ATTRIBUTES)
    assert set(TRAINING_QUESTIONS) == set(ATTRIBUTES)


def test_knowledge_gaps_and_the_success_rule():
    import pandas as pd

    from mismatch.knowing.knowledge_checks import knowledge_gaps

    rows = []
    for world, rates in ((1, (0.4, 0.55, 0.7)), (2, (0.4, 0.45, 0.8)), (3, (0.4, 0.7, 0.6))):
        for model, rate in zip(("s", "t1", "t2"), rates, strict=True):
            rows.append(
                dict(
                    world_seed=world,
                    model=model,
                    split="pool",
                    n=100,
                    definition="measured",
                    known_rate=rate - 0.01,
                    measured_known_rate=rate - 0.01,
                    known_correct=round(rate * 90),
                    known_wrong=round(rate * 100) - round(rate * 90),
                )
            )
    for rate in ("truth", "measured"):
        gaps = knowledge_gaps(pd.DataFrame(rows), "s", ["t1", "t2"], definition=rate)
        assert set(gaps["definition"]) == {rate}
        gaps = gaps.set_index("world_seed")
        assert gaps.loc[1, "gap_t1"] == pytest.approx(0.15)
        assert gaps["rule_met"].tolist() == [True, False, False]  # 2: t1 too close; 3: order
    measured = knowledge_gaps(pd.DataFrame(rows), "s", ["t1"])  # the study's: measured
    assert measured.loc[0, "s"] == pytest.approx(0.39)
    with pytest.raises(InputError, match="no pool knowledge for"):
        knowledge_gaps(pd.DataFrame(rows), "s", ["t9"])


def test_exposure_findings_render_every_part():
    import pandas as pd

    from mismatch.publishing.prose import exposure_findings_markdown

    gaps = pd.DataFrame(
        {
            "world_seed": [1, 2],
            "s": [0.4, 0.42],
            "t": [0.6, 0.64],
            "gap_t": [0.2, 0.22],
            "rule_met": [True, True],
            "definition": "truth",
        }
    )
    contrasts = pd.DataFrame(
        [
            dict(
                student="s",
                treatment="t",
                treatment_rate=0.3,
                control_rate=0.05,
                estimate=0.25,
                low=0.2,
                high=0.3,
            )
        ]
    )
    auroc = pd.DataFrame(
        [dict(model="s", probe="gold-value probability", auroc=0.91, low=0.88, high=0.94)]
    )
    recall = pd.DataFrame(
        [
            dict(model=m, exposure=e, n_facts=n, recall=r, mean_gold_probability=g)
            for m in ("s", "t")
            for e, n, r, g in (("0", 10, 0.0, 0.1), ("1", 0, None, None), ("2-3", 5, 0.6, 0.5))
        ]
    )
    measured = gaps.assign(s=[0.1, 0.1], t=[0.3, 0.3], rule_met=False, definition="measured")
    text = exposure_findings_markdown(gaps, measured, contrasts, auroc, recall, "s", ["t"])
    assert "knowing = truth (the synthetic world's ground truth" in text
    assert "study's definition), mean over 2 world(s): `s` 41.0%, `t` 62.0%" in text
    assert "met in 2 of 2 world(s)" in text and "met in 0 of 2 world(s)" in text
    assert (
        "graded correct (answering.grading; the paper's rule); sensitivity), mean over 2 " in text
    )
    assert "`s` 10.0%, `t` 30.0%" in text
    assert "Teacher `t` (knowledge gap +21.0 points): wrong rate 30.0% vs 5.0%" in text
    assert "+25.0 [+20.0, +30.0]" in text
    assert "gold-value probability 0.91 [0.88, 0.94]" in text
    assert (
        "`t`: 0: 0.0%, 2-3: 60.0%; the mean gold-value probability in the same bins: 10.0%, "
        in (
            text  # empty bins left out
        )
    )
