"""Where the questions come from: one registry entry per question source.

Each source is a value of ``questions.source`` with the rule that writes the question sets
(``results/<study>/w{w}/questions/{pool,test,format}.parquet``, the same schema whatever the
source) and its hooks: the planning-time check, how many questions each split holds (counting,
from the config alone: the cluster requests and the size checks read it), where a split's size
is set (sizing, for errors), which rule fetches its data first (fetching), the splits it writes,
its cluster unit, and whether its questions come with a world the models are pretrained on.
Nothing outside this module compares ``questions.source`` with a name. Adding a source is one
entry here (``register``), its settings (if any) under ``questions`` in
schemas/config.schema.yaml, and its rule and script (docs/design.md, "Adding a question source").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from mismatch.errors import InputError

SPLITS = ("pool", "test", "format")  # every source writes these; format holds the exemplars

Questions = Mapping[str, Any]  # the config's `questions` section


def _no_check(questions: Questions, where: str) -> None:
    """Nothing to check before the run (checked by its own rule)."""


def _no_fetch(questions: Questions) -> str | None:
    """Nothing to fetch."""
    return None


@dataclass(frozen=True)
class QuestionSource:
    """One kind of question source and its hooks (each takes the config's ``questions``)."""

    name: str  # the value of questions.source
    description: str
    rule: str  # the rule that writes the question sets
    count: Callable[[Questions, str], int]  # questions a split holds, from the config alone
    size_key: Callable[[Questions, str], str]  # where a split's size is set, for errors
    check: Callable[[Questions, str], None] = _no_check  # planning-time check
    check_sizes: Callable[[Questions], None] = lambda questions: None  # sizes the schema misses
    fetch: Callable[[Questions], str | None] = _no_fetch  # the rule fetching its data, or None
    # what one cluster of its questions is, in the report's words
    cluster: Callable[[Questions], str] = lambda questions: "question"
    # the pretrained world its questions come with ("slice" or "exposure"), None for real data
    world: Callable[[Questions], str | None] = lambda questions: None
    # the question sets its rule writes: the three splits, and any it adds
    splits: Callable[[Questions], tuple[str, ...]] = lambda questions: SPLITS
    # where its answers come from closed vocabularies (real facts): what builds them, else None
    # (``mismatch.answers.vocabulary``; grading by ``contains`` then uses them)
    vocabulary: Callable[[Questions], dict[str, Any] | None] = lambda questions: None


SOURCES: dict[str, QuestionSource] = {}


def register(source: QuestionSource) -> QuestionSource:
    """Add a source to the registry (its name must be new)."""
    if source.name in SOURCES:
        raise ValueError(f"question source {source.name!r} is already registered")
    SOURCES[source.name] = source
    return source


# ---------------------------------------------------------------- synthetic: a world of people
def _world_model(questions: Questions) -> str:
    return questions["synthetic"]["knowledge_model"]


def _world_count(questions: Questions, split: str) -> int:
    synthetic = questions["synthetic"]
    if split == "heldout":  # the exposure world asks every pool and test fact once more
        return _world_count(questions, "pool") + _world_count(questions, "test")
    return synthetic["split_entities"][split] * len(synthetic["attributes"])


def _world_size_key(questions: Questions, split: str) -> str:
    synthetic = questions["synthetic"]
    if split == "heldout":
        return "questions.synthetic.split_entities.pool + .test (every pool and test fact)"
    return (
        f"questions.synthetic.split_entities.{split} = {synthetic['split_entities'][split]} "
        f"people x {len(synthetic['attributes'])} attributes"
    )


def _check_world(questions: Questions) -> None:
    from mismatch.world.fictional import WorldSettings, validate_settings

    validate_settings(WorldSettings.from_config(questions["synthetic"]))


def _world_splits(questions: Questions) -> tuple[str, ...]:
    """The exposure world also asks every pool and test fact with a held-out paraphrased
    question: its answers are the ground truth of knowing there."""
    return SPLITS + (("heldout",) if _world_model(questions) == "exposure" else ())


register(
    QuestionSource(
        "synthetic",
        "a world of fictional people",
        "synthetic_world",
        _world_count,
        _world_size_key,
        check_sizes=_check_world,
        cluster=lambda questions: "person",
        world=_world_model,
        splits=_world_splits,
    )
)


# ---------------------------------------------------------------- sources with a size per split
def _sized(name: str) -> tuple[Callable[[Questions, str], int], Callable[[Questions, str], str]]:
    """Count and size-key hooks of a source whose settings give ``<split>_size``."""
    return (
        lambda questions, split: questions[name][f"{split}_size"],
        lambda questions, split: f"questions.{name}.{split}_size",
    )


register(
    QuestionSource(
        "triviaqa",
        "TriviaQA through datasets",
        "triviaqa_questions",
        *_sized("triviaqa"),
        fetch=lambda questions: None if questions["triviaqa"]["local_dir"] else "fetch_dataset",
    )
)


# ---------------------------------------------------------------- files: the user's question sets
def _check_files(questions: Questions, where: str) -> None:
    files = questions.get("files", {})
    for split in SPLITS:
        if split not in files:
            raise InputError(f"{where}.files.{split}", "required when source is 'files'")
        if not Path(files[split]).is_file():
            raise InputError(f"{where}.files.{split}", f"no such file {files[split]}")
    from mismatch.questions.user_sets import check_disjoint, load_question_file

    try:  # a file that cannot be read is reported by its job (file_questions), with its log
        sets = {
            files[split]: load_question_file(files[split]) for split in ("pool", "test", "format")
        }
    except (InputError, OSError, ValueError):
        return
    check_disjoint(sets)


def _file_count(questions: Questions, split: str) -> int:
    """A parquet file's footer says how many rows it has; a JSONL file, its non-blank lines."""
    import pyarrow.parquet as pq

    path = questions["files"][split]
    if path.endswith(".parquet"):
        return pq.read_metadata(path).num_rows
    with open(path) as handle:
        return sum(1 for line in handle if line.strip())


register(
    QuestionSource(
        "files",
        "your own question sets",
        "file_questions",
        _file_count,
        lambda questions, split: f"questions.files.{split}",
        check=_check_files,
    )
)


# ---------------------------------------------------------------- facts: packages or a fact table
def _check_facts(questions: Questions, where: str) -> None:
    """The fact table (read and split now, so a bad row stops the run before any model loads),
    or the packages the facts come from."""
    from mismatch.questions.fact_sets import fact_sets

    fact_sets(questions["facts"], seed=0)


@lru_cache(maxsize=8)
def _fact_counts(settings: str) -> dict[str, int]:
    from mismatch.questions.fact_sets import fact_sets

    return {split: len(table) for split, table in fact_sets(json.loads(settings), 0).items()}


def _fact_count(questions: Questions, split: str) -> int:
    """Questions per split of the facts source (split seed 0; other seeds differ by a cluster)."""
    return _fact_counts(json.dumps(questions["facts"], sort_keys=True))[split]


def _fact_cluster(questions: Questions) -> str:
    """A country of the package facts; a user's fact table's own cluster column."""
    return "country" if questions["facts"]["table"] is None else "cluster"


def _fact_vocabulary(questions: Questions) -> dict[str, Any]:
    """The package facts' or the user's table's relations, each a closed set of answers."""
    facts = questions.get("facts", {})
    return {"table": facts.get("table"), "max_cities": facts.get("max_cities")}


register(
    QuestionSource(
        "facts",
        "real facts: package facts or your fact table",
        "fact_questions",
        _fact_count,
        _sized("facts")[1],
        check=_check_facts,
        cluster=_fact_cluster,
        vocabulary=_fact_vocabulary,
    )
)


# ---------------------------------------------------------------- what the rest of the study reads
def question_source(config: Mapping[str, Any], where: str = "config") -> QuestionSource:
    """The config's question source; an unregistered one is a one-line error naming the key."""
    name = config["questions"]["source"]
    if name not in SOURCES:
        raise InputError(
            f"{where}: questions.source",
            f"unknown question source {name!r}; expected one of {', '.join(SOURCES)} "
            "(mismatch/questions/sources.py)",
        )
    return SOURCES[name]


def question_count(config: Mapping[str, Any], split: str) -> int:
    """How many questions a split will hold, known from the config alone (planning needs it)."""
    return question_source(config).count(config["questions"], split)


def split_size_key(config: Mapping[str, Any], split: str) -> str:
    """Where a split's size comes from in the config, for error messages."""
    return question_source(config).size_key(config["questions"], split)


def question_splits(config: Mapping[str, Any]) -> list[str]:
    """The question sets the source's rule writes: pool, test, format, and any it adds (the
    exposure world's held-out paraphrases)."""
    return list(question_source(config).splits(config["questions"]))


def answered_splits(config: Mapping[str, Any]) -> list[str]:
    """The splits every model answers: every question set but format (which holds exemplars)."""
    return [split for split in question_splits(config) if split != "format"]


def pretrained_world(config: Mapping[str, Any]) -> str | None:
    """The world the models are pretrained on ("slice" or "exposure": the synthetic world's
    knowledge model, with a ground truth of knowing), or None for real data."""
    return question_source(config).world(config["questions"])


def fetch_rule(config: Mapping[str, Any]) -> str | None:
    """The rule that fetches the source's data before its question sets are built, or None."""
    return question_source(config).fetch(config["questions"])


def cluster_unit(config: Mapping[str, Any]) -> str:
    """The independent unit of the analysis in words: the source's cluster (a person of the
    synthetic world, a country of the package facts), "cluster" for a user's fact table with
    its own cluster column, "question" where every question is its own cluster."""
    if config["analysis"]["cluster"] == "question":
        return "question"
    return question_source(config).cluster(config["questions"])


def cluster_plural(unit: str) -> str:
    """The plural of a cluster unit: persons, countries, clusters, questions."""
    return unit[:-1] + "ies" if unit.endswith("y") else unit + "s"
