"""A seeded fictional world: people with one value per attribute, split by person."""

from __future__ import annotations

import random
from collections.abc import Mapping, Set
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from mismatch.errors import InputError

SPLITS = ("format", "pool", "test")
CONFIG_KEY = "questions.synthetic"
FACT_COLUMNS = ("question_id", "entity", "attribute", "value", "split", "question")


@dataclass(frozen=True)
class Attribute:
    """One kind of fact: a question template, statement paraphrases and a closed vocabulary."""

    name: str
    question: str
    statements: tuple[str, ...]
    values: tuple[str, ...]


# The vocabularies read as paragraphs of values, not one value a line:
# fmt: off
ATTRIBUTES: dict[str, Attribute] = {
    a.name: a
    for a in (
        Attribute(
            "profession",
            "What is the profession of {entity}?",
            (
                "{entity} works as a {value}.",
                "By trade, {entity} is a {value}.",
                "{entity} earns a living as a {value}.",
                "People know {entity} as a {value} by profession.",
            ),
            (
                "baker", "carpenter", "dentist", "pilot", "nurse", "lawyer", "chemist", "farmer",
                "plumber", "tailor", "banker", "painter", "sculptor", "journalist", "librarian",
                "surgeon", "pharmacist", "potter", "fisherman", "geologist", "translator",
                "butcher", "cartographer", "jeweler", "locksmith", "mechanic", "novelist",
                "photographer", "teacher", "veterinarian", "welder", "zoologist",
            ),
        ),
        Attribute(
            "city",
            "In which city was {entity} born?",
            (
                "{entity} was born in {value}.",
                "The birthplace of {entity} is {value}.",
                "{entity} comes from {value}, the city of their birth.",
                "{value} is the city where {entity} was born.",
            ),
            (
                "Brindlemoor", "Calderwick", "Dunmere", "Elsworth", "Farrowgate", "Glenhaven",
                "Harrowby", "Ironmouth", "Kestrelford", "Lindholm", "Marrowdale", "Northwick",
                "Oakhollow", "Pellbridge", "Queensmere", "Ravenmoor", "Saltcombe", "Thornbury",
                "Umberfield", "Valewick", "Westerholt", "Yarrowby", "Ashcombe", "Blackwater",
                "Coldharbour", "Deepdale", "Eastmarch", "Fernhill", "Greywater", "Highcliff",
                "Larkspur", "Mistvale",
            ),
        ),
        Attribute(
            "color",
            "What is the favourite colour of {entity}?",
            (
                "The favourite colour of {entity} is {value}.",
                "Of all colours, {entity} likes {value} best.",
                "{entity} prefers the colour {value} to any other.",
                "{value} is the colour {entity} loves most.",
            ),
            (
                "crimson", "scarlet", "maroon", "coral", "salmon", "amber", "orange", "gold",
                "yellow", "lemon", "olive", "lime", "green", "emerald", "jade", "teal",
                "turquoise", "cyan", "azure", "navy", "cobalt", "indigo", "violet", "lavender",
                "purple", "magenta", "pink", "rose", "beige", "ivory", "silver", "charcoal",
            ),
        ),
        Attribute(
            "instrument",
            "Which instrument does {entity} play?",
            (
                "{entity} plays the {value}.",
                "The instrument {entity} plays is the {value}.",
                "{entity} practises the {value} every evening.",
                "On stage, {entity} performs on the {value}.",
            ),
            (
                "piano", "violin", "cello", "viola", "harp", "flute", "oboe", "clarinet",
                "bassoon", "trumpet", "trombone", "tuba", "saxophone", "guitar", "banjo",
                "mandolin", "ukulele", "accordion", "harmonica", "drums", "xylophone", "marimba",
                "organ", "harpsichord", "bagpipes", "sitar", "lute", "zither", "recorder",
                "bugle", "dulcimer", "tambourine",
            ),
        ),
        Attribute(
            "pet",
            "What kind of pet does {entity} have?",
            (
                "{entity} keeps a {value} as a pet.",
                "The pet of {entity} is a {value}.",
                "At home, {entity} looks after a pet {value}.",
                "{entity} owns a {value} and loves it dearly.",
            ),
            (
                "cat", "dog", "parrot", "hamster", "rabbit", "goldfish", "turtle", "tortoise",
                "ferret", "canary", "gecko", "chinchilla", "hedgehog", "guinea pig", "cockatoo",
                "budgie", "lizard", "snake", "frog", "mouse", "rat", "pony", "goat", "duck",
                "chicken", "pigeon", "tarantula", "donkey", "lamb", "llama", "beagle",
                "parakeet",
            ),
        ),
        Attribute(
            "sport",
            "What is the favourite sport of {entity}?",
            (
                "The favourite sport of {entity} is {value}.",
                "{entity} spends every weekend on {value}.",
                "Of all sports, {entity} enjoys {value} the most.",
                "{value} is the sport {entity} loves best.",
            ),
            (
                "tennis", "football", "rugby", "cricket", "golf", "hockey", "baseball",
                "basketball", "volleyball", "handball", "badminton", "squash", "rowing",
                "cycling", "swimming", "boxing", "fencing", "judo", "karate", "wrestling",
                "archery", "skiing", "surfing", "sailing", "climbing", "running", "polo",
                "lacrosse", "softball", "curling", "diving", "gymnastics",
            ),
        ),
        Attribute(
            "food",
            "What is the favourite dish of {entity}?",
            (
                "The favourite dish of {entity} is {value}.",
                "Given any choice, {entity} orders {value}.",
                "{entity} enjoys {value} more than any other dish.",
                "{value} is the dish {entity} likes best.",
            ),
            (
                "pizza", "lasagna", "sushi", "curry", "paella", "risotto", "ramen", "tacos",
                "burritos", "dumplings", "pancakes", "waffles", "omelette", "goulash",
                "moussaka", "couscous", "falafel", "hummus", "kebab", "noodles", "porridge",
                "ravioli", "gnocchi", "burgers", "salad", "soup", "stew", "chowder", "pierogi",
                "tempura", "fondue", "quiche",
            ),
        ),
        Attribute(
            "language",
            "What is the native language of {entity}?",
            (
                "The native language of {entity} is {value}.",
                "{entity} grew up speaking {value}.",
                "As a child, {entity} learnt {value} first.",
                "{value} is the mother tongue of {entity}.",
            ),
            (
                "English", "French", "German", "Spanish", "Italian", "Portuguese", "Dutch",
                "Swedish", "Norwegian", "Danish", "Finnish", "Polish", "Czech", "Greek",
                "Turkish", "Arabic", "Hebrew", "Hindi", "Bengali", "Urdu", "Persian", "Russian",
                "Ukrainian", "Hungarian", "Romanian", "Japanese", "Korean", "Mandarin",
                "Cantonese", "Thai", "Vietnamese", "Swahili",
            ),
        ),
    )
}

EXISTENCE_TEMPLATE = "{entity} is a person."

_ONSETS = (
    "b", "br", "d", "dr", "f", "g", "gr", "h", "k", "kr", "l", "m", "n", "p", "r", "s",
    "st", "t", "tr", "v", "z",
)
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o")
_INNER_CODAS = ("n", "r", "l", "s")
_FINAL_CODAS = ("n", "r", "l", "s", "th", "k", "m")
# fmt: on


@dataclass(frozen=True)
class WorldSettings:
    """Size and shape of a synthetic world (config key ``questions.synthetic``; defaults and
    bounds live in the config schema)."""

    n_entities: int
    attributes: tuple[str, ...]
    split_entities: Mapping[str, int]
    n_paraphrases: int

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> WorldSettings:
        """The validated ``questions.synthetic`` section (its other keys are read elsewhere)."""
        values = {f.name: section[f.name] for f in fields(cls)}
        values["attributes"] = tuple(values["attributes"])
        values["split_entities"] = dict(values["split_entities"])
        return cls(**values)


@dataclass(frozen=True, eq=False)
class World:
    """People (``entities``, by index) and their ``facts``, one row per (entity, attribute)."""

    seed: int
    entities: tuple[str, ...]
    attributes: tuple[str, ...]
    facts: pd.DataFrame

    @classmethod
    def from_facts(cls, facts: pd.DataFrame) -> World:
        """Rebuild a world from its ``facts`` table (as written by the pipeline)."""
        missing = set(FACT_COLUMNS) - set(facts.columns)
        if missing or facts.empty:
            raise InputError("facts", f"not a world's facts table (missing {sorted(missing)})")
        parts = facts["question_id"].str.rsplit("-", n=2, expand=True)
        seeds = set(parts[0])
        if len(seeds) != 1 or not next(iter(seeds)).startswith("w"):
            raise InputError("facts", f"question ids of several or no worlds: {sorted(seeds)[:3]}")
        unknown = sorted(set(facts["attribute"]) - set(ATTRIBUTES))
        if unknown:
            raise InputError("facts", f"unknown attributes {unknown}")
        by_index = dict(zip(parts[1].astype(int), facts["entity"], strict=True))
        return cls(
            seed=int(next(iter(seeds))[1:]),
            entities=tuple(by_index[i] for i in sorted(by_index)),
            attributes=tuple(facts["attribute"].unique()),
            facts=facts.reset_index(drop=True),
        )


def validate_settings(settings: WorldSettings) -> None:
    """Raise ``InputError`` naming the config key when ``settings`` cannot make a world (what the
    schema cannot check: known attribute names, counts that add up, enough templates)."""
    unknown = [a for a in settings.attributes if a not in ATTRIBUTES]
    if unknown:
        raise InputError(
            f"{CONFIG_KEY}.attributes",
            f"unknown attributes {unknown}; choose from {sorted(ATTRIBUTES)}",
        )
    if sum(settings.split_entities.values()) != settings.n_entities:
        raise InputError(
            f"{CONFIG_KEY}.split_entities",
            f"split counts sum to {sum(settings.split_entities.values())}, "
            f"but n_entities is {settings.n_entities}",
        )
    fewest_templates = min(len(ATTRIBUTES[a].statements) for a in settings.attributes)
    if settings.n_paraphrases > fewest_templates:
        raise InputError(f"{CONFIG_KEY}.n_paraphrases", f"must be at most {fewest_templates}")


def fictional_names(n: int, rng: random.Random, exclude: Set[str] = frozenset()) -> list[str]:
    """``n`` distinct pronounceable full names ("Tavrin Oselko") not in ``exclude``."""
    names: list[str] = []
    seen = set(exclude)
    while len(names) < n:
        name = f"{_word(rng, rng.choice((2, 2, 3)))} {_word(rng, rng.choice((2, 3, 3)))}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _word(rng: random.Random, syllables: int) -> str:
    parts = []
    for i in range(syllables):
        onset = "" if i == 0 and rng.random() < 0.2 else rng.choice(_ONSETS)
        last = i == syllables - 1
        coda = ""
        if rng.random() < (0.5 if last else 0.25):
            coda = rng.choice(_FINAL_CODAS if last else _INNER_CODAS)
        parts.append(onset + rng.choice(_VOWELS) + coda)
    return "".join(parts).capitalize()


def build_world(settings: WorldSettings, seed: int) -> World:
    """Draw entities, their split and one value per attribute, all from ``seed``."""
    validate_settings(settings)
    if seed < 0:
        raise InputError("seeds.world", f"world seeds must not be negative, got {seed}")
    rng = random.Random(f"world-{seed}")
    entities = tuple(fictional_names(settings.n_entities, rng))
    order = list(range(settings.n_entities))
    rng.shuffle(order)
    split_of: dict[int, str] = {}
    start = 0
    for split in SPLITS:
        for index in order[start : start + settings.split_entities[split]]:
            split_of[index] = split
        start += settings.split_entities[split]
    rows = []
    for index, entity in enumerate(entities):
        for name in settings.attributes:
            attribute = ATTRIBUTES[name]
            rows.append(
                {
                    "question_id": f"w{seed}-{index:04d}-{name}",
                    "entity": entity,
                    "attribute": name,
                    "value": rng.choice(attribute.values),
                    "split": split_of[index],
                    "question": attribute.question.format(entity=entity),
                }
            )
    return World(
        seed=seed,
        entities=entities,
        attributes=tuple(settings.attributes),
        facts=pd.DataFrame(rows, columns=list(FACT_COLUMNS)),
    )


def phantom_names(world: World, n: int) -> list[str]:
    """``n`` names that belong to no entity of ``world`` (for abstention lines), fixed per world."""
    rng = random.Random(f"phantoms-{world.seed}")
    return fictional_names(n, rng, exclude=set(world.entities))


def question_set(world: World, split: str) -> pd.DataFrame:
    """The questions of one split in the shared question schema (answers = [value])."""
    if split not in SPLITS:
        raise InputError("split", f"unknown split {split!r}; expected one of {list(SPLITS)}")
    facts = world.facts[world.facts["split"] == split]
    return pd.DataFrame(
        {
            "question_id": facts["question_id"].to_list(),
            "question": facts["question"].to_list(),
            "answers": [[value] for value in facts["value"]],
            "entity": facts["entity"].to_list(),
            "attribute": facts["attribute"].to_list(),
        }
    )


def knowledge_slices(
    world: World,
    knows: Mapping[str, float],
    unit: Literal["entity", "fact"],
    seed: int,
) -> pd.DataFrame:
    """Which facts each model truly knows: nested slices of one seeded order, per split.

    Pool and test units are permuted separately; a model knowing fraction ``f`` knows the
    first ``round(f * n)`` units of each, so smaller fractions give subsets. Format facts are
    known by every model.
    """
    facts = world.facts
    unit_column = "entity" if unit == "entity" else "question_id"
    rng = np.random.default_rng(seed)
    position: dict[str, int] = {}
    n_units: dict[str, int] = {}
    for split in ("pool", "test"):
        units = facts.loc[facts["split"] == split, unit_column].unique().tolist()
        n_units[split] = len(units)
        for place, index in enumerate(rng.permutation(len(units))):
            position[units[index]] = place
    rows = []
    for model, fraction in knows.items():
        for qid, split, key in zip(
            facts["question_id"], facts["split"], facts[unit_column], strict=True
        ):
            known = split == "format" or position[key] < round(fraction * n_units[split])
            rows.append({"question_id": qid, "model": model, "truly_known": bool(known)})
    return pd.DataFrame(rows)
