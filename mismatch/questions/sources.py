"""Where the questions come from: one registry entry per question source.

Each source is a value of ``questions.source`` with the rule that writes the question sets
(``results/<study>/w{w}/questions/{pool,test,format}.parquet``, the same schema whatever the
source) and its planning-time check. Adding a source is one entry here, its settings under
``questions`` in schemas/config.schema.yaml, a rule in rules/questions.smk and its script.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mismatch.errors import InputError


def _check_files(questions: Mapping[str, Any], where: str) -> None:
    files = questions.get("files", {})
    for split in ("pool", "test", "format"):
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


def _check_facts(questions: Mapping[str, Any], where: str) -> None:
    """The fact table (read and split now, so a bad row stops the run before any model loads),
    or the packages the facts come from."""
    from mismatch.questions.fact_sets import fact_sets

    fact_sets(questions["facts"], seed=0)


def _nothing(questions: Mapping[str, Any], where: str) -> None:
    """Checked by its own rule (the synthetic world's sizes are checked with the config)."""


@dataclass(frozen=True)
class QuestionSource:
    """One kind of question source."""

    name: str  # the value of questions.source
    description: str
    rule: str  # the rule that writes the question sets
    check: Callable[[Mapping[str, Any], str], None]  # planning-time check of `questions`
    # what one cluster of its questions is, in the report's words, given the `questions` section
    cluster: Callable[[Mapping[str, Any]], str] = lambda questions: "question"


def _fact_cluster(questions: Mapping[str, Any]) -> str:
    """A country of the package facts; a user's fact table's own cluster column."""
    return "country" if questions["facts"]["table"] is None else "cluster"


SOURCES: dict[str, QuestionSource] = {
    source.name: source
    for source in (
        QuestionSource(
            "synthetic",
            "a world of fictional people",
            "synthetic_world",
            _nothing,
            lambda questions: "person",
        ),
        QuestionSource("triviaqa", "TriviaQA through datasets", "triviaqa_questions", _nothing),
        QuestionSource("files", "your own question sets", "file_questions", _check_files),
        QuestionSource(
            "facts",
            "real facts: package facts or your fact table",
            "fact_questions",
            _check_facts,
            _fact_cluster,
        ),
    )
}


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


def question_source(config: Mapping[str, Any]) -> QuestionSource:
    """The config's question source."""
    return SOURCES[config["questions"]["source"]]
