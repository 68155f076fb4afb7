"""The exposure world's pretraining text: every fact is seen a drawn number of times.

In the ``slice`` world a model knows whole persons or nothing. Here every fact has an
*exposure count* from 0 to ``max_exposure``, drawn around its person's popularity (a long-tailed,
Zipf-like distribution over persons), so one person can be partly known; the corpus states each
fact exactly its count of times, in varied paraphrase and, for a configured share, as a
question-answer line. A person's name is also mentioned on its own a number of times drawn
independently of the facts' exposures, so how familiar a name is says little about whether its
facts were seen (name frequency is then a baseline probe, not a free cue).

All models of a world read the same corpus; they differ in capacity and training compute.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from mismatch.answers.prompting import PromptFormat
from mismatch.errors import InputError
from mismatch.world.corpus import abstention_units
from mismatch.world.fictional import ATTRIBUTES, EXISTENCE_TEMPLATE, World

CONFIG_KEY = "questions.synthetic.exposure"

TRAINING_QUESTIONS = {
    "profession": "What job does {entity} have?",
    "city": "What is the birthplace of {entity}?",
    "color": "What colour does {entity} like most?",
    "instrument": "What does {entity} play?",
    "pet": "What pet does {entity} own?",
    "sport": "What sport does {entity} enjoy most?",
    "food": "What does {entity} like to eat most?",
    "language": "What is the mother tongue of {entity}?",
}
"""A second wording of each attribute's question, used (with the study's own wording) in the
question-answer lines of the corpus, so a model can learn to answer a fact however it is asked;
the held-out wording below is a third."""

HELDOUT_QUESTIONS = {
    "profession": "What does {entity} do for a living?",
    "city": "Where was {entity} born?",
    "color": "Which colour does {entity} like best?",
    "instrument": "What instrument is played by {entity}?",
    "pet": "Which animal does {entity} keep as a pet?",
    "sport": "Which sport does {entity} like best?",
    "food": "Which dish does {entity} like best?",
    "language": "Which language did {entity} grow up speaking?",
}
"""Paraphrased questions that appear in no pretraining text and in no probe: whether a model
answers them is the reference for "knows the fact" in the exposure world."""


@dataclass(frozen=True)
class ExposureSettings:
    """How often facts and names are seen (config ``questions.synthetic.exposure``)."""

    max_exposure: int  # a fact is seen 0 .. max_exposure times
    popularity_exponent: float  # person popularity ~ rank ** -exponent (long tail)
    fact_concentration: float  # Beta concentration of a person's facts around its popularity
    max_name_mentions: int  # name-only lines per person: 1 .. this, independent of its facts
    qa_share: float  # share of a fact's exposures written as question-answer lines

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> ExposureSettings:
        """The validated ``questions.synthetic.exposure`` section."""
        settings = cls(**{f.name: section[f.name] for f in fields(cls)})
        if settings.max_exposure < 1 or settings.max_name_mentions < 1:
            raise InputError(CONFIG_KEY, "max_exposure and max_name_mentions must be at least 1")
        if not 0 <= settings.qa_share <= 1 or settings.fact_concentration <= 0:
            raise InputError(CONFIG_KEY, "qa_share must be in [0, 1], fact_concentration > 0")
        return settings


def person_popularity(world: World, exponent: float, seed: int) -> pd.Series:
    """Popularity in (0, 1] of every person of the pool and test splits: ``rank ** -exponent``
    over a seeded random ranking (rank 1 is the most popular)."""
    persons = world.facts.loc[world.facts["split"] != "format", "entity"].unique().tolist()
    order = np.random.default_rng([seed, 11]).permutation(len(persons))
    ranks = np.empty(len(persons))
    ranks[order] = np.arange(1, len(persons) + 1)
    return pd.Series(ranks**-exponent, index=persons, name="popularity")


def exposure_table(world: World, settings: ExposureSettings, seed: int) -> pd.DataFrame:
    """One row per fact: question_id, entity, split, popularity (of its person) and exposure.

    A pool or test fact's exposure is Binomial(max_exposure, q) with q ~ Beta around its
    person's popularity (``fact_concentration``: larger = a person's facts more alike); format
    facts, which lend the k-shot exemplars, are always seen ``max_exposure`` times.
    """
    popularity = person_popularity(world, settings.popularity_exponent, seed)
    rng = np.random.default_rng([seed, 12])
    facts = world.facts
    rows = []
    for fact in facts.itertuples(index=False):
        if fact.split == "format":
            rows.append((fact.question_id, fact.entity, fact.split, 1.0, settings.max_exposure))
            continue
        mean = float(np.clip(popularity[fact.entity], 1e-3, 1 - 1e-3))
        c = settings.fact_concentration
        q = rng.beta(c * mean, c * (1 - mean))
        count = int(rng.binomial(settings.max_exposure, q))
        rows.append((fact.question_id, fact.entity, fact.split, popularity[fact.entity], count))
    return pd.DataFrame(rows, columns=["question_id", "entity", "split", "popularity", "exposure"])


def name_mentions(world: World, settings: ExposureSettings, seed: int) -> pd.Series:
    """Name-only lines per person: uniform on 1 .. max_name_mentions, from a stream of its own
    (independent of popularity and exposures)."""
    rng = np.random.default_rng([seed, 13])
    counts = rng.integers(1, settings.max_name_mentions + 1, size=len(world.entities))
    return pd.Series(counts, index=list(world.entities), name="name_mentions")


def exposure_units(
    world: World,
    exposures: pd.DataFrame,
    mentions: pd.Series,
    prompt: PromptFormat,
    *,
    qa_share: float,
    n_abstention_lines: int,
    seed: int,
) -> list[str]:
    """The corpus every model of the world reads, as newline-ended units.

    Each fact appears exactly its ``exposure`` times: ``round(qa_share * exposure)`` times as a
    question-answer line in ``prompt``'s format (alternating the study's question and
    ``TRAINING_QUESTIONS``' wording), otherwise as statements cycling through its attribute's
    paraphrases from a random start. Each person's name also appears alone
    ``mentions`` times; abstention units ask about phantom people who appear nowhere else.
    """
    rng = random.Random(f"exposure-corpus-{seed}")
    counts = exposures.set_index("question_id")["exposure"]
    units = []
    for entity in world.entities:
        units.extend([EXISTENCE_TEMPLATE.format(entity=entity) + "\n"] * int(mentions[entity]))
    for fact in world.facts.itertuples(index=False):
        n = int(counts[fact.question_id])
        n_qa = round(qa_share * n)
        templates = ATTRIBUTES[fact.attribute].statements
        start = rng.randrange(len(templates))
        for i in range(n - n_qa):
            template = templates[(start + i) % len(templates)]
            units.append(template.format(entity=fact.entity, value=fact.value) + "\n")
        wordings = (fact.question, TRAINING_QUESTIONS[fact.attribute].format(entity=fact.entity))
        units.extend(
            prompt.prompt(wordings[i % 2]) + prompt.target(fact.value) for i in range(n_qa)
        )
    units.extend(abstention_units(world, prompt, n_abstention_lines, rng))
    return units


def fact_occurrences(units: list[str], world: World, prompt: PromptFormat) -> pd.Series:
    """How many units state each fact (a paraphrase of it, or its question-answer line), by
    question id: what the corpus really holds, to check against the exposure table."""
    lookup: dict[str, str] = {}
    for fact in world.facts.itertuples(index=False):
        for template in ATTRIBUTES[fact.attribute].statements:
            lookup[template.format(entity=fact.entity, value=fact.value) + "\n"] = fact.question_id
        for question in (fact.question, TRAINING_QUESTIONS[fact.attribute]):
            asked = question.format(entity=fact.entity)
            lookup[prompt.prompt(asked) + prompt.target(fact.value)] = fact.question_id
    counts = pd.Series(0, index=world.facts["question_id"].tolist(), name="occurrences")
    for unit in units:
        question_id = lookup.get(unit)
        if question_id is not None:
            counts[question_id] += 1
    return counts


def name_frequency(units: list[str], world: World) -> pd.Series:
    """How many units mention each person's name (the name-frequency probe's score)."""
    return pd.Series(
        [sum(entity in unit for unit in units) for entity in world.entities],
        index=list(world.entities),
        name="name_frequency",
    )


def heldout_questions(world: World) -> pd.DataFrame:
    """The pool and test facts asked with ``HELDOUT_QUESTIONS`` (question ids as the facts'),
    in the question-set schema (question_id, question, answers, entity, attribute)."""
    facts = world.facts[world.facts["split"] != "format"]
    return pd.DataFrame(
        {
            "question_id": facts["question_id"].to_list(),
            "question": [
                HELDOUT_QUESTIONS[a].format(entity=e)
                for a, e in zip(facts["attribute"], facts["entity"], strict=True)
            ],
            "answers": [[value] for value in facts["value"]],
            "entity": facts["entity"].to_list(),
            "attribute": facts["attribute"].to_list(),
        }
    )


def heldout_truth(
    heldout_answers: pd.DataFrame, exposures: pd.DataFrame, model: str
) -> pd.DataFrame:
    """The exposure world's ground truth of one model: it knows a fact when it answers the
    fact's held-out paraphrased question correctly (format facts: always). One row per fact:
    question_id, model, truly_known, exposure."""
    correct = heldout_answers.set_index("question_id")["correct"].astype(bool)
    table = exposures[["question_id", "split", "exposure"]].copy()
    missing = set(table.loc[table["split"] != "format", "question_id"]) - set(correct.index)
    if missing:
        raise InputError(
            "heldout answers", f"no answer for {len(missing)} fact(s), e.g. {sorted(missing)[0]}"
        )
    table["truly_known"] = [
        True if split == "format" else bool(correct[q])
        for q, split in zip(table["question_id"], table["split"], strict=True)
    ]
    table["model"] = model
    return table[["question_id", "model", "truly_known", "exposure"]]
