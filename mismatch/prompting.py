"""The one prompt format shared by teacher answering, fine-tuning and student evaluation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PromptFormat:
    """How questions are asked and answers written.

    A fine-tuning example is ``prompt(question) + target(answer)``; students are evaluated on
    ``prompt(question)``; base models answer ``prompt(question, exemplars)`` (k-shot).
    """

    question_template: str
    answer_template: str
    abstention: str

    def __post_init__(self) -> None:
        if "{question}" not in self.question_template:
            raise ValueError("prompt.question_template must contain '{question}'")
        if "{answer}" not in self.answer_template:
            raise ValueError("prompt.answer_template must contain '{answer}'")

    @classmethod
    def from_config(cls, prompt: Mapping[str, object]) -> PromptFormat:
        """The format of the validated config's ``prompt`` section (the exemplar keys are read
        where exemplars are chosen)."""
        return cls(**{k: str(prompt[k]) for k in cls.__dataclass_fields__})

    def answer_line(self, answer: str | None) -> str:
        """The answer text for ``answer`` (``None`` means abstain), without the newline."""
        return self.abstention if answer is None else self.answer_template.format(answer=answer)

    def target(self, answer: str | None) -> str:
        """The fine-tuning target: the answer line ended by a newline so students learn to stop."""
        return self.answer_line(answer) + "\n"

    def exemplar_block(self, exemplars: Sequence[tuple[str, str]]) -> str:
        """k solved questions, each ``question_template`` + answer line + newline."""
        return "".join(
            self.question_template.format(question=q) + self.target(a) for q, a in exemplars
        )

    def prompt(self, question: str, exemplars: Sequence[tuple[str, str]] = ()) -> str:
        """The text a model continues to answer ``question``."""
        return self.exemplar_block(exemplars) + self.question_template.format(question=question)

    def extract_answer(self, generation: str) -> str:
        """The answer inside a generation: text before the first newline, template stripped."""
        line = generation.split("\n", 1)[0].strip()
        prefix, _, suffix = (part.strip() for part in self.answer_template.partition("{answer}"))
        if prefix and not line.startswith(prefix):
            return line  # not in the answer format (an abstention, say): keep it whole
        line = line[len(prefix) :]
        if suffix and line.endswith(suffix):
            line = line[: -len(suffix)]
        return line.strip()

    def fits(self, line: str) -> bool:
        """Whether a generated line has the form of an answer line: the abstention line, or the
        answer template's text before and after ``{answer}`` around a non-empty answer (spaces
        at either end ignored). A template that is only ``{answer}`` fits any non-empty line."""
        line = line.strip()
        if not line:
            return False
        if line == self.abstention.strip():
            return True
        prefix, _, suffix = self.answer_template.partition("{answer}")
        prefix, suffix = prefix.lstrip(), suffix.rstrip()
        inner = len(line) - len(prefix) - len(suffix)
        return (
            line.startswith(prefix)
            and line.endswith(suffix)
            and inner > 0
            and bool(line[len(prefix) : len(line) - len(suffix)].strip())
        )

    def as_dict(self) -> dict[str, str]:
        """The templates, for provenance records."""
        return asdict(self)


def k_shot_prompts(
    prompt: PromptFormat, questions: Iterable[str], exemplars: Mapping[str, Any]
) -> list[str]:
    """The k-shot prompt of every question, the exemplars (a table with ``question`` and
    ``answers`` columns) solved with their canonical (first) answer."""
    shots = [
        (q, list(a)[0]) for q, a in zip(exemplars["question"], exemplars["answers"], strict=True)
    ]
    return [prompt.prompt(q, shots) for q in questions]
