"""Answer grading: official TriviaQA normalisation, alias matching and refusal detection.

Precedence of ``label_answer`` (first rule that applies wins):

1. the prediction equals a gold alias after TriviaQA normalisation -> ``correct`` (even when the
   alias is itself a refusal word, e.g. the gold answer "Unknown");
2. the prediction is a refusal ("I don't know the answer.", "Sorry, I'm not sure.") -> ``abstain``.
   Refusals are matched on the raw text with only case, quotes, punctuation and spacing
   normalised, *before* articles are stripped, so "the answer" stays part of the phrase;
3. the answer is not well formed -> ``malformed``: it is empty, or generation was cut off at
   ``max_new_tokens`` before the end of the line, or its line does not fit the prompt's answer
   template (``PromptFormat.fits``; e.g. "The answer is b" without the template's closing
   period). The caller decides well-formedness (``mismatch.training.labels.is_well_formed``).
   Under ``contains`` with a ``grader`` an answer that repeats a run of words three times in a row
   ("CFA Franc CFA Franc CFA Franc") is malformed too (without one, the published runs' tables
   stay reproducible: their repeated answers stay wrong). This comes before ``contains``: a
   cut-off repetition that happens to hold an alias is not an answer;
4. under the ``contains`` rule, a gold alias occurs as whole words in the prediction -> ``correct``.
   With a ``grader`` (the relation's closed vocabulary, ``mismatch.answers.vocabulary``) the
   answer must name a gold alias and no other member of the relation: "North Korea" is wrong for
   Seoul (gold alias "Korea"), "Australian Dollar" wrong for New Zealand (gold alias "Dollar"),
   "Paris or Lyon" wrong for France's capital;
5. otherwise -> ``wrong``.

So ``wrong`` never includes a malformed answer, and a malformed answer is never one that is right
or a refusal.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Literal, Protocol

Label = Literal["correct", "wrong", "abstain", "malformed"]
LABELS: tuple[Label, ...] = ("correct", "wrong", "abstain", "malformed")
GRADING_RULES = ("exact", "contains")

_PUNCTUATION = set(string.punctuation) | {"‘", "’", "´", "`", "“", "”"}
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_APOSTROPHES = re.compile(r"['‘’´`]")
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")

# What counts as a refusal (docs/real-models.md, "Refusals"): the whole answer is one or more
# refusal clauses, each a core ("I don't know", "I'm not sure", "no idea", ...) with optional
# polite lead-ins ("I'm sorry, but", "Unfortunately,", "I'm afraid", "To be honest,") and optional
# trailing words ("the answer to that question", "what the capital of Chad is", "sorry"). A
# trailing wh-clause holding a guess ("..., but I think it's Paris", "maybe", "probably") is not.
_REFUSAL_PREFIX = (
    r"(?:(?:(?:i am |im )?sorry|unfortunately|honestly|to be honest|hmm|well|um|uh|oh"
    r"|(?:i am |im )?afraid|but|so) )*"
)
_REFUSAL_CORE = (
    r"i (?:really )?(?:do not|dont|don t|did not|didnt|cannot|can not|cant|can t|could not"
    r"|couldnt) (?:know|say|tell|answer|recall|remember|be sure)"
    r"|i (?:am|m) (?:not sure|unsure|not certain|not able to answer|unable to answer)"
    r"|im (?:not sure|unsure|not certain|not able to answer|unable to answer)"
    r"|not sure|unsure|i have no (?:idea|clue)|no idea|no clue|idk|i dunno|dunno|no answer"
    r"|unknown|nobody knows|(?:the )?answer is (?:unknown|not known)"
    r"|i (?:do not|dont|don t) have (?:an|the|that|this|any) (?:answer|information)"
)
_GUESS = r"(?!.*\b(?:but|maybe|perhaps|think|probably|guess|possibly|likely)\b)"
_REFUSAL_SUFFIX = (
    r"(?: (?:you|that|this|it|for sure|for certain|exactly|the answer|an answer|i am afraid"
    r"|im afraid|(?:the )?answer to (?:that|this|the|your) question|that question|this question))*"
    rf"(?: {_GUESS}(?:what|which|where|who|whether|if|of|about"
    r"|the (?:capital|currency|continent|country|name)(?: city)? of)(?: \S+)*)?"
    r"(?: sorry)?"
)
_CLAUSE = rf"{_REFUSAL_PREFIX}(?:{_REFUSAL_CORE}){_REFUSAL_SUFFIX}"
_REFUSAL = re.compile(rf"{_CLAUSE}(?: (?:and |but |so )?{_CLAUSE})*")
_MIN_REPEATS = 3  # an n-gram said this many times in a row makes an answer malformed


class Grader(Protocol):
    """A relation's closed vocabulary, bound for grading
    (``mismatch.answers.vocabulary.RelationGrader``)."""

    def accepts(self, answer: str, aliases: Iterable[str]) -> bool: ...


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


def is_correct(
    prediction: str,
    aliases: Iterable[str],
    rule: str = "exact",
    *,
    well_formed: bool = True,
    grader: Grader | None = None,
) -> bool:
    """Whether ``prediction`` matches a gold alias (``exact``) or contains one as whole words
    (``contains``: only a well-formed answer, and with ``grader`` only one naming no other member
    of the relation's vocabulary); ``label_answer(...) == "correct"``."""
    if rule not in GRADING_RULES:
        raise ValueError(f"unknown grading rule {rule!r}; expected one of {GRADING_RULES}")
    if matches_alias(prediction, aliases):
        return True
    if rule == "exact" or not well_formed or (grader is not None and is_repetitive(prediction)):
        return False
    return _contains(prediction, list(aliases), grader) and not is_abstention(prediction)


def _contains(prediction: str, aliases: list[str], grader: Grader | None) -> bool:
    if grader is None:
        return contains_alias(prediction, aliases)
    return grader.accepts(prediction, aliases)


def is_repetitive(prediction: str) -> bool:
    """Whether some run of words is said ``_MIN_REPEATS`` times in a row ("CFA Franc CFA Franc
    CFA Franc"); "Bora Bora" (twice) is not."""
    words = normalize_answer(prediction).split()
    for size in range(1, len(words) // _MIN_REPEATS + 1):
        for start in range(len(words) - size * _MIN_REPEATS + 1):
            gram = words[start : start + size]
            if all(
                words[start + k * size : start + (k + 1) * size] == gram
                for k in range(1, _MIN_REPEATS)
            ):
                return True
    return False


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
    prediction: str,
    aliases: Iterable[str],
    rule: str = "exact",
    *,
    well_formed: bool = True,
    grader: Grader | None = None,
) -> Label:
    """Label one answer ``correct``, ``wrong``, ``abstain`` or ``malformed`` (precedence: module
    docstring); ``well_formed`` is False for an empty, cut-off or off-template answer; ``grader``
    (the question's relation vocabulary) makes ``contains`` reject an alias inside another
    member's name."""
    aliases = list(aliases)
    if rule not in GRADING_RULES:
        raise ValueError(f"unknown grading rule {rule!r}; expected one of {GRADING_RULES}")
    if matches_alias(prediction, aliases):
        return "correct"
    if is_abstention(prediction):
        return "abstain"
    if not well_formed or not prediction.strip():
        return "malformed"
    if rule == "contains" and grader is not None and is_repetitive(prediction):
        return "malformed"
    if rule == "contains" and _contains(prediction, aliases, grader):
        return "correct"
    return "wrong"
