"""The real-tokenizer fixtures of ``tools/real_tokenizers.py`` for tests: a path, or a skip that
says how to build them (a failure instead where ``MISMATCH_REQUIRE_REAL_TOKENIZERS`` is set, as
in CI, so CI never skips them)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import real_tokenizers  # noqa: E402

NAMES = tuple(real_tokenizers.VOCABS)
REQUIRE_ENV = "MISMATCH_REQUIRE_REAL_TOKENIZERS"


def real_model_dir(name: str) -> Path:
    """The fixture folder of vocabulary ``name`` (tokenizer + tiny random model)."""
    path = real_tokenizers.fixture_path(name)
    if path is not None:
        return path
    message = (
        f"real-tokenizer fixture {name!r} not found in {real_tokenizers.cache_dir()}; build it "
        "with `.venv/bin/python tools/real_tokenizers.py` (docs/real-tokenizers.md)"
    )
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(message)
    pytest.skip(message)
