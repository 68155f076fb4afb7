"""Pretraining text of one model: what it is told about the world, as short newline-ended units."""

from __future__ import annotations

import random
from collections.abc import Set

from mismatch.answers.prompting import PromptFormat
from mismatch.errors import InputError
from mismatch.world.fictional import (
    ATTRIBUTES,
    CONFIG_KEY,
    EXISTENCE_TEMPLATE,
    World,
    phantom_names,
)


def pretraining_units(
    world: World,
    truly_known_ids: Set[str],
    prompt: PromptFormat,
    *,
    n_paraphrases: int,
    qa_lines_for_known_facts: bool,
    n_abstention_lines: int,
    seed: int,
) -> list[str]:
    """The units a model pretrains on.

    Every entity gets an existence line; every known pool/test fact and every format fact gets
    ``n_paraphrases`` statements; format facts always, and known facts when
    ``qa_lines_for_known_facts``, also get a QA unit in ``prompt``'s format. Abstention units
    ask about phantom people who appear nowhere else.
    """
    _check_paraphrases(world, n_paraphrases)
    unknown_ids = set(truly_known_ids) - set(world.facts["question_id"])
    if unknown_ids:
        raise InputError("truly_known_ids", f"{len(unknown_ids)} ids are not facts of this world")
    rng = random.Random(f"corpus-{seed}")
    units = [EXISTENCE_TEMPLATE.format(entity=entity) + "\n" for entity in world.entities]
    for fact in world.facts.itertuples(index=False):
        is_format = fact.split == "format"
        if not is_format and fact.question_id not in truly_known_ids:
            continue
        templates = rng.sample(ATTRIBUTES[fact.attribute].statements, n_paraphrases)
        units.extend(t.format(entity=fact.entity, value=fact.value) + "\n" for t in templates)
        if is_format or qa_lines_for_known_facts:
            units.append(prompt.prompt(fact.question) + prompt.target(fact.value))
    units.extend(abstention_units(world, prompt, n_abstention_lines, rng))
    return units


def abstention_units(
    world: World, prompt: PromptFormat, n_lines: int, rng: random.Random
) -> list[str]:
    """QA units answered with the abstention, each about a different phantom person."""
    return [
        prompt.prompt(ATTRIBUTES[rng.choice(world.attributes)].question.format(entity=name))
        + prompt.target(None)
        for name in phantom_names(world, n_lines)
    ]


def world_text(world: World, prompt: PromptFormat, *, n_abstention_lines: int) -> list[str]:
    """All text any model of ``world`` can see (every paraphrase, QA and abstention unit).

    This is what the one shared tokenizer is trained on.
    """
    units = [EXISTENCE_TEMPLATE.format(entity=entity) + "\n" for entity in world.entities]
    for fact in world.facts.itertuples(index=False):
        units.extend(
            t.format(entity=fact.entity, value=fact.value) + "\n"
            for t in ATTRIBUTES[fact.attribute].statements
        )
        units.append(prompt.prompt(fact.question) + prompt.target(fact.value))
    for name in phantom_names(world, n_abstention_lines):
        units.extend(
            prompt.prompt(ATTRIBUTES[a].question.format(entity=name)) + prompt.target(None)
            for a in world.attributes
        )
    return units


def _check_paraphrases(world: World, n_paraphrases: int) -> None:
    """What the schema cannot check (it bounds the count from below): enough templates."""
    fewest = min(len(ATTRIBUTES[a].statements) for a in world.attributes)
    if n_paraphrases > fewest:
        raise InputError(f"{CONFIG_KEY}.n_paraphrases", f"must be at most {fewest}")
