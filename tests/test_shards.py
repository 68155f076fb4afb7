import pandas as pd
import pytest

from mismatch.answers.shards import gather_shards, shard_rows
from mismatch.errors import InputError


@pytest.mark.parametrize(("n_rows", "n_shards"), [(10, 3), (7, 7), (5, 1), (3, 4)])
def test_shards_cover_every_question_once_in_order(n_rows, n_shards):
    questions = pd.DataFrame({"question_id": [f"q{i}" for i in range(n_rows)]})
    shards = [shard_rows(questions, k, n_shards) for k in range(n_shards)]
    sizes = [len(s) for s in shards]
    assert sum(sizes) == n_rows and max(sizes) - min(sizes) <= 1
    assert (
        gather_shards(shards, questions)["question_id"].tolist() == questions.question_id.tolist()
    )


def test_gather_refuses_missing_or_reordered_shards():
    questions = pd.DataFrame({"question_id": ["a", "b", "c", "d"]})
    first, second = shard_rows(questions, 0, 2), shard_rows(questions, 1, 2)
    with pytest.raises(InputError, match="answer shards"):
        gather_shards([first], questions)
    with pytest.raises(InputError, match="answer shards"):
        gather_shards([second, first], questions)
    with pytest.raises(ValueError, match="outside"):
        shard_rows(questions, 2, 2)
