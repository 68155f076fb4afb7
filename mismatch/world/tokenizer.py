"""The one subword tokenizer shared by all tiny models of a synthetic world."""

from __future__ import annotations

import os
from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from mismatch.errors import InputError
from mismatch.io import replace_directory

PAD, BOS, EOS = "<pad>", "<s>", "</s>"


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer on ``texts``.

    Encoding with special tokens prepends ``<s>`` (as Llama tokenizers do); decoding without
    special tokens gives back the exact text, newlines included.
    """
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, BOS, EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    bos_id = tokenizer.token_to_id(BOS)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, bos_id)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token=BOS, eos_token=EOS, pad_token=PAD
    )


def save_tokenizer(tokenizer: PreTrainedTokenizerBase, directory: str | os.PathLike[str]) -> None:
    """Save ``tokenizer`` as a Hugging Face tokenizer directory, atomically (written to a
    temporary folder beside it, then renamed)."""
    with replace_directory(directory) as tmp:
        tokenizer.save_pretrained(tmp)


def load_tokenizer(directory: str | os.PathLike[str]) -> PreTrainedTokenizerBase:
    """Load a tokenizer saved by ``save_tokenizer`` (or any local Hugging Face tokenizer)."""
    if not os.path.isdir(directory):
        raise InputError(str(directory), "no tokenizer directory")
    return AutoTokenizer.from_pretrained(directory)
