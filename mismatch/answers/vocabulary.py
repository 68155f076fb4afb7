"""Closed answer vocabularies: per relation, every name an answer to that relation may take.

A relation whose answers come from a closed set (the package facts' countries, capitals,
currencies and continents; a user table's relation: its gold answers) gives grading that set.
An answer is read as the vocabulary members it *names*: its words are scanned left to right and
at each position the longest name of any relation's vocabulary is taken ("Papua New Guinea" is
one name, never "Guinea"; "Australian Dollar" one name, never "Dollar"). ``contains`` grading
(``mismatch.answers.grading``) then accepts an answer only where it names a gold alias and no other
member of the question's relation; ``answer_type`` says whether an answer is a name of another
relation only (a country for a capital question: a format failure, not "does not know").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from mismatch.answers.grading import normalize_answer


@dataclass(frozen=True)
class Vocabulary:
    """Normalised names per relation; ``names`` is their union (how answers are segmented)."""

    relations: Mapping[str, frozenset[str]]

    @property
    def names(self) -> frozenset[str]:
        return frozenset().union(*self.relations.values()) if self.relations else frozenset()

    def of(self, relation: str) -> frozenset[str]:
        """The normalised names of ``relation`` (empty for a relation it does not hold)."""
        return self.relations.get(relation, frozenset())

    def grader(self, relation: str) -> RelationGrader:
        """What ``label_answer`` needs to grade an answer to a question of ``relation``."""
        return RelationGrader(self, relation)


@dataclass(frozen=True)
class RelationGrader:
    """One relation's vocabulary, bound for grading (``mismatch.answers.grading.Grader``)."""

    vocabulary: Vocabulary
    relation: str

    def accepts(self, answer: str, aliases: Iterable[str]) -> bool:
        """Whether ``answer`` names a gold alias and no other member of the relation."""
        return names_gold_only(answer, aliases, self.relation, self.vocabulary)


def vocabulary_from_questions(questions: pd.DataFrame) -> Vocabulary:
    """The vocabulary of a question table with ``relation`` and ``answers`` (lists of aliases):
    per relation, every alias of every question's gold answer."""
    relations: dict[str, set[str]] = {}
    for relation, aliases in zip(questions["relation"], questions["answers"], strict=True):
        names = relations.setdefault(str(relation), set())
        names.update(n for a in aliases if a is not None and (n := normalize_answer(str(a))))
    return Vocabulary({r: frozenset(n) for r, n in relations.items()})


def mentions(answer: str, names: Iterable[str]) -> list[str]:
    """The vocabulary names ``answer`` names, left to right, each the longest at its position
    (normalised; words between names are skipped)."""
    names = set(names)
    words = normalize_answer(answer).split()
    longest = max((len(n.split()) for n in names), default=0)
    found, i = [], 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            candidate = " ".join(words[i : i + size])
            if candidate in names:
                found.append(candidate)
                i += size
                break
        else:
            i += 1
    return found


def names_gold_only(
    answer: str, aliases: Iterable[str], relation: str, vocabulary: Vocabulary
) -> bool:
    """Whether ``answer`` names a gold alias and no other member of ``relation``'s vocabulary
    ("North Korea" names no gold alias of Seoul's country; "Paris or Lyon" names another
    capital). Gold aliases count as names even where the vocabulary lacks them."""
    gold = {n for a in aliases if (n := normalize_answer(str(a)))}
    named = mentions(answer, vocabulary.names | gold)
    others = vocabulary.of(relation) - gold
    return any(n in gold for n in named) and not any(n in others for n in named)


def answer_type(answer: str, relation: str, vocabulary: Vocabulary) -> str:
    """``other_relation`` where the whole answer is a name of another relation's vocabulary and
    not of ``relation``'s ("Sierra Leone" for a capital question; "Asia" for a city's country),
    else ``own_type`` (an answer of the asked type, right or wrong, or free text)."""
    text = normalize_answer(answer)
    if not text or text in vocabulary.of(relation):
        return "own_type"
    others = (names for r, names in vocabulary.relations.items() if r != relation)
    return "other_relation" if any(text in names for names in others) else "own_type"
