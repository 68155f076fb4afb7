"""Answer grading: official TriviaQA normalisation, alias matching and abstention detection."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Literal

Label = Literal["correct", "wrong", "abstain"]
GRADING_RULES = ("exact", "contains")

_PUNCTUATION = set(string.punctuation) | {"‘", "’", "´", "`", "“", "”"}
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ABSTENTIONS = re.compile(
    r"^(i (do not|dont|don t|cannot|can not|cant|can t) (know|say|tell|answer)"
    r"( (that|this|the answer))?"
    r"|i m not sure|i am not sure|not sure|unknown|no idea|i have no idea|no answer|i dunno"
    r"|(the )?answer is unknown)$"
)


def normalize_answer(text: str) -> str:
    """Normalise as the official TriviaQA evaluation does."""
    text = text.replace("_", " ").lower()
    text = "".join(" " if ch in _PUNCTUATION else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def is_correct(prediction: str, aliases: Iterable[str], rule: str = "exact") -> bool:
    """Whether ``prediction`` matches a gold alias (``exact``) or contains one as whole words."""
    if rule not in GRADING_RULES:
        raise ValueError(f"unknown grading rule {rule!r}; expected one of {GRADING_RULES}")
    if rule == "contains":
        return contains_alias(prediction, aliases)
    pred = normalize_answer(prediction)
    return bool(pred) and any(pred == normalize_answer(a) for a in aliases)


def contains_alias(prediction: str, aliases: Iterable[str]) -> bool:
    """Whether a normalised alias occurs as whole words inside the normalised prediction."""
    padded = f" {normalize_answer(prediction)} "
    return any((norm := normalize_answer(alias)) and f" {norm} " in padded for alias in aliases)


def is_abstention(prediction: str) -> bool:
    """Whether ``prediction`` declines to answer ("I don't know", "I do not know.", "No idea")."""
    norm = " ".join(normalize_answer(prediction).replace("'", " ").split())
    return bool(_ABSTENTIONS.match(norm))


def label_answer(prediction: str, aliases: Iterable[str], rule: str = "exact") -> Label:
    """Label one answer ``correct``, ``wrong`` or ``abstain`` (abstention is checked first)."""
    if is_abstention(prediction):
        return "abstain"
    return "correct" if is_correct(prediction, aliases, rule) else "wrong"
