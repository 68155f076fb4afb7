"""Answer grading: official TriviaQA normalisation, alias matching and refusal detection.

Precedence of ``label_answer`` (first rule that applies wins):

1. the prediction equals a gold alias after TriviaQA normalisation -> ``correct`` (even when the
   alias is itself a refusal word, e.g. the gold answer "Unknown");
2. the prediction is a refusal ("I don't know the answer.", "Sorry, I'm not sure.") -> ``abstain``.
   Refusals are matched on the raw text with only case, quotes, punctuation and spacing
   normalised, *before* articles are stripped, so "the answer" stays part of the phrase;
3. under the ``contains`` rule, a gold alias occurs as whole words in the prediction -> ``correct``;
4. the answer is not well formed -> ``malformed``: it is empty, or generation was cut off at
   ``max_new_tokens`` before the end of the line, or its line does not fit the prompt's answer
   template (``PromptFormat.fits``; e.g. "The answer is b" without the template's closing
   period). The caller decides well-formedness (``mismatch.training.labels.is_well_formed``);
5. otherwise -> ``wrong``.

So ``wrong`` never includes a malformed answer, and a malformed answer is never one that is right
or a refusal.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Literal

Label = Literal["correct", "wrong", "abstain", "malformed"]
LABELS: tuple[Label, ...] = ("correct", "wrong", "abstain", "malformed")
GRADING_RULES = ("exact", "contains")

_PUNCTUATION = set(string.punctuation) | {"‘", "’", "´", "`", "“", "”"}
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_APOSTROPHES = re.compile(r"['‘’´`]")
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")

_REFUSAL_PREFIX = r"(?:(?:i am |im )?sorry |unfortunately |honestly |hmm |well |um |uh )*"
_REFUSAL_CORE = (
    r"i (?:really )?(?:do not|dont|don t|did not|didnt|cannot|can not|cant|can t|could not"
    r"|couldnt) (?:know|say|tell|answer|recall|remember|be sure)"
    r"|i (?:am|m) (?:not sure|unsure|not certain|not able to answer|unable to answer)"
    r"|im (?:not sure|unsure|not certain|not able to answer|unable to answer)"
    r"|not sure|unsure|i have no (?:idea|clue)|no idea|no clue|idk|i dunno|dunno|no answer"
    r"|unknown|nobody knows|(?:the )?answer is (?:unknown|not known)"
    r"|i (?:do not|dont|don t) have (?:an|the|that|any) answer"
)
_REFUSAL_SUFFIX = (
    r"(?: (?:you|that|this|it|for sure|for certain|exactly|the answer|an answer"
    r"|(?:the )?answer to (?:that|this|the|your) question|that question|this question))*"
    r"(?: sorry)?"
)
_REFUSAL = re.compile(rf"{_REFUSAL_PREFIX}(?:{_REFUSAL_CORE}){_REFUSAL_SUFFIX}")


def normalize_answer(text: str) -> str:
    """Normalise as the official TriviaQA evaluation does."""
    text = text.replace("_", " ").lower()
    text = "".join(" " if ch in _PUNCTUATION else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def refusal_text(text: str) -> str:
    """Lower case, apostrophes dropped ("don't" -> "dont"), other punctuation made spaces;
    articles are kept (refusal phrases contain them)."""
    text = _APOSTROPHES.sub("", text.replace("_", " ").lower())
    return " ".join(_NOT_WORD.sub(" ", text).split())


def is_correct(prediction: str, aliases: Iterable[str], rule: str = "exact") -> bool:
    """Whether ``prediction`` matches a gold alias (``exact``) or contains one as whole words."""
    if rule not in GRADING_RULES:
        raise ValueError(f"unknown grading rule {rule!r}; expected one of {GRADING_RULES}")
    if rule == "contains":
        return contains_alias(prediction, aliases)
    return matches_alias(prediction, aliases)


def matches_alias(prediction: str, aliases: Iterable[str]) -> bool:
    """Whether the normalised prediction equals a normalised gold alias."""
    pred = normalize_answer(prediction)
    return bool(pred) and any(pred == normalize_answer(a) for a in aliases)


def contains_alias(prediction: str, aliases: Iterable[str]) -> bool:
    """Whether a normalised alias occurs as whole words inside the normalised prediction."""
    padded = f" {normalize_answer(prediction)} "
    return any((norm := normalize_answer(alias)) and f" {norm} " in padded for alias in aliases)


def is_abstention(prediction: str) -> bool:
    """Whether ``prediction`` as a whole declines to answer ("I don't know the answer.",
    "Sorry, I'm not sure.", "No idea"); a hedge followed by an answer is not a refusal."""
    return bool(_REFUSAL.fullmatch(refusal_text(prediction)))


def label_answer(
    prediction: str, aliases: Iterable[str], rule: str = "exact", *, well_formed: bool = True
) -> Label:
    """Label one answer ``correct``, ``wrong``, ``abstain`` or ``malformed`` (precedence: module
    docstring); ``well_formed`` is False for an empty, cut-off or off-template answer."""
    aliases = list(aliases)
    if rule not in GRADING_RULES:
        raise ValueError(f"unknown grading rule {rule!r}; expected one of {GRADING_RULES}")
    if matches_alias(prediction, aliases):
        return "correct"
    if is_abstention(prediction):
        return "abstain"
    if rule == "contains" and contains_alias(prediction, aliases):
        return "correct"
    return "wrong" if well_formed and prediction.strip() else "malformed"
