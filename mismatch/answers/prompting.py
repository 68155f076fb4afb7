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
    def from_config(cls, prompt: Mapping[str, object]) -> PromptFormat | ChatPrompt:
        """The format of the validated config's ``prompt`` section, or its chat form where
        ``configuration.model_prompt`` says the model is prompted with its chat template (the
        exemplar keys are read where exemplars are chosen)."""
        base = cls(**{k: str(prompt[k]) for k in cls.__dataclass_fields__})
        return ChatPrompt(base) if prompt.get("style") == "chat" else base

    def for_tokenizer(self, tokenizer: Any) -> PromptFormat:
        """This format as the model with ``tokenizer`` is prompted: a plain one, itself."""
        return self

    def end_token(self, tokenizer: Any) -> int | None:
        """The token a fine-tuning target ends with (the loss keeps it): eos."""
        return tokenizer.eos_token_id

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


class ChatPrompt:
    """A ``PromptFormat`` through a chat model's own template: each exemplar is a user turn (the
    question) and an assistant turn (its answer line), the question a last user turn, and the
    answer ends at the end of the assistant's turn (that token is the target's last)."""

    def __init__(self, base: PromptFormat, tokenizer: Any = None) -> None:
        if tokenizer is not None and not getattr(tokenizer, "chat_template", None):
            raise ValueError(
                "prompt_style chat: the model's tokenizer has no chat template (a base model? "
                "set prompt_style: plain)"
            )
        self.base = base
        self.tokenizer = tokenizer  # bound by for_tokenizer once the model is loaded
        self.abstention = base.abstention
        self.answer_template = base.answer_template

    def for_tokenizer(self, tokenizer: Any) -> ChatPrompt:
        """This format bound to the loaded model's tokenizer (its chat template)."""
        return self if tokenizer is self.tokenizer else ChatPrompt(self.base, tokenizer)

    def _template(self) -> Any:
        if self.tokenizer is None:
            raise ValueError("a chat prompt renders once bound to a tokenizer (for_tokenizer)")
        return self.tokenizer

    def answer_line(self, answer: str | None) -> str:
        return self.base.answer_line(answer).strip()

    def target(self, answer: str | None) -> str:
        """The assistant's reply; ``end_token`` closes the turn in training."""
        return self.answer_line(answer)

    def end_token(self, tokenizer: Any) -> int | None:
        from mismatch.models.gguf import end_of_turn_id

        return end_of_turn_id(tokenizer) or tokenizer.eos_token_id

    def prompt(self, question: str, exemplars: Sequence[tuple[str, str]] = ()) -> str:
        messages = []
        for q, a in exemplars:
            messages += [
                {"role": "user", "content": q},
                {"role": "assistant", "content": self.answer_line(a)},
            ]
        messages.append({"role": "user", "content": question})
        return self._template().apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )

    def extract_answer(self, generation: str) -> str:
        return generation.split("\n", 1)[0].strip()

    def fits(self, line: str) -> bool:
        """Any non-empty reply is in the answer format (the turn's end closes it)."""
        return bool(line.strip())

    def as_dict(self) -> dict[str, str]:
        import hashlib

        record = {**self.base.as_dict(), "style": "chat"}
        if self.tokenizer is not None:
            template = self.tokenizer.chat_template
            record["chat_template_sha256"] = hashlib.sha256(template.encode()).hexdigest()[:16]
        return record


def k_shot_prompts(
    prompt: PromptFormat | ChatPrompt, questions: Iterable[str], exemplars: Mapping[str, Any]
) -> list[str]:
    """The k-shot prompt of every question, the exemplars (a table with ``question`` and
    ``answers`` columns) solved with their canonical (first) answer."""
    shots = [
        (q, list(a)[0]) for q, a in zip(exemplars["question"], exemplars["answers"], strict=True)
    ]
    return [prompt.prompt(q, shots) for q in questions]
