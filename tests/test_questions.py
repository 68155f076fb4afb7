"""Users' question files: parquet and JSON lines in, one-line errors naming the file out."""

import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.questions.user_sets import check_disjoint, load_question_file

ROWS = [
    {"question_id": "q1", "question": "Who wrote Hamlet?", "answers": ["Shakespeare", "W. S."]},
    {"question_id": "q2", "question": "Capital of France?", "answers": ["Paris"]},
]


def write(path, rows):
    table = pd.DataFrame(rows)
    if path.suffix == ".parquet":
        table.to_parquet(path)
    else:
        table.to_json(path, orient="records", lines=True)
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_a_valid_file_loads_in_the_schema(tmp_path, suffix):
    rows = [{**ROWS[0], "answers": [" Shakespeare ", "", "W. S."], "entity": "Hamlet"}, ROWS[1]]
    questions = load_question_file(write(tmp_path / f"set{suffix}", rows))
    assert list(questions.columns) == ["question_id", "question", "answers", "entity"]
    assert questions.answers.to_list() == [["Shakespeare", "W. S."], ["Paris"]]


def test_numeric_ids_become_strings(tmp_path):
    rows = [{**row, "question_id": i} for i, row in enumerate(ROWS)]
    questions = load_question_file(write(tmp_path / "set.jsonl", rows))
    assert questions.question_id.to_list() == ["0", "1"]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            [{"question_id": r["question_id"], "question": r["question"]} for r in ROWS],
            "missing column(s) answers",
        ),
        ([], "missing column(s) question_id, question, answers"),
        ([ROWS[0], {**ROWS[1], "question_id": "q1"}], "duplicate question_id q1"),
        ([ROWS[0], {**ROWS[1], "answers": []}], "question q2 has no answer aliases"),
        ([ROWS[0], {**ROWS[1], "answers": ["  "]}], "question q2 has no answer aliases"),
        ([ROWS[0], {**ROWS[1], "question": " "}], "question q2 has no text"),
    ],
)
@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_bad_sets_fail_with_one_line_naming_file_and_problem(tmp_path, rows, problem, suffix):
    path = write(tmp_path / f"bad{suffix}", rows)
    with pytest.raises(InputError) as error:
        load_question_file(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


def test_an_empty_set_with_the_columns_is_refused(tmp_path):
    path = tmp_path / "empty.parquet"
    pd.DataFrame({"question_id": [], "question": [], "answers": []}).to_parquet(path)
    with pytest.raises(InputError, match=r"empty.parquet: no questions; give at least one$"):
        load_question_file(path)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("broken.parquet", b"PAR1 not really", "not a readable parquet file"),
        ("broken.jsonl", b'{"question_id": "q1", "quest\n', "not readable JSON lines"),
        ("set.csv", b"question_id,question,answers\n", "unsupported file type '.csv'"),
    ],
)
def test_unreadable_files_fail_with_one_line(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        load_question_file(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match=r"nope.jsonl: file does not exist"):
        load_question_file(tmp_path / "nope.jsonl")


def test_sets_sharing_a_question_are_refused():
    first = pd.DataFrame(ROWS)
    second = pd.DataFrame([{**ROWS[1], "question_id": "other", "question": "CAPITAL of France"}])
    check_disjoint({"pool.jsonl": first.iloc[:1], "test.jsonl": second})
    with pytest.raises(InputError, match=r"pool.jsonl: shares 1 question\(s\) with test.jsonl"):
        check_disjoint({"pool.jsonl": first, "test.jsonl": second})


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_an_optional_column_may_hold_nulls(tmp_path, suffix):
    """A null entity or attribute is "not given": the question is its own entity (issue 31)."""
    rows = [{**ROWS[0], "entity": "Hamlet", "attribute": "author"}, {**ROWS[1], "entity": None}]
    questions = load_question_file(write(tmp_path / f"set{suffix}", rows))
    assert questions.entity.to_list() == ["Hamlet", "q2"]
    assert questions.attribute.to_list() == ["author", "fact"]
