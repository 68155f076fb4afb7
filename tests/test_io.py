import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.io import read_json, read_metadata, read_parquet, write_json, write_parquet


def test_parquet_round_trip_with_metadata(tmp_path):
    df = pd.DataFrame({"question_id": ["a", "b"], "answers": [["x", "y"], ["z"]]})
    path = tmp_path / "sub" / "t.parquet"
    write_parquet(df, path, {"model": "small", "k": 2})
    back = read_parquet(path)
    assert back.question_id.tolist() == ["a", "b"]
    assert list(back.answers[0]) == ["x", "y"]
    assert read_metadata(path) == {"model": "small", "k": 2}
    assert [p.name for p in path.parent.iterdir()] == ["t.parquet"]  # no temp file left


def test_truncated_parquet_is_a_one_line_error(tmp_path):
    path = tmp_path / "t.parquet"
    write_parquet(pd.DataFrame({"a": range(100)}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as err:
        read_parquet(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match="does not exist"):
        read_parquet(tmp_path / "missing.parquet")


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "t.parquet"
    with pytest.raises(Exception):  # noqa: B017 - any failure inside pyarrow
        write_parquet(pd.DataFrame({"a": [object()]}), path)
    assert list(tmp_path.iterdir()) == []


def test_json_round_trip_and_errors(tmp_path):
    write_json({"b": 1, "a": [1, 2]}, tmp_path / "x.json")
    assert read_json(tmp_path / "x.json") == {"a": [1, 2], "b": 1}
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match="bad.json: not valid JSON"):
        read_json(tmp_path / "bad.json")


def test_csv_is_written_atomically(tmp_path):
    from mismatch.io import write_csv

    write_csv(pd.DataFrame({"a": [1, 2]}), tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == "a\n1\n2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]
