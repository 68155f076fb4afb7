"""TriviaQA question sets: aliases, repeats, test overlap, seeded disjoint pool/test/format."""

from pathlib import Path

import pandas as pd
import pytest

from mismatch.answers.answering import choose_exemplars
from mismatch.errors import InputError
from mismatch.io import write_json
from mismatch.knowing.slick import exemplar_sets
from mismatch.questions.triviaqa import (
    answer_aliases,
    dataset_source,
    drop_duplicates,
    drop_overlap,
    jaccard,
    load_triviaqa,
    near_duplicates,
    question_keys,
    sample_question_sets,
    word_sets,
)

FIXTURE = Path(__file__).parent / "fixtures" / "trivia_qa"
SIZES = {"pool_size": 20, "test_size": 10, "format_size": 6}


@pytest.fixture(scope="module")
def splits():
    return load_triviaqa(FIXTURE, "rc.nocontext")


def _questions(*rows):
    return pd.DataFrame(
        [{"question_id": i, "question": q, "answers": ["x"]} for i, q in rows],
        columns=["question_id", "question", "answers"],
    )


def test_aliases_put_the_value_first_and_drop_repeats_and_blanks():
    answer = {
        "value": "The Thames",
        "aliases": ["Thames", "The Thames", " ", "River Thames"],
        "normalized_aliases": ["thames", "river thames", "the thames"],
        "normalized_value": "thames",
        "type": "WikipediaEntity",
    }
    assert answer_aliases(answer) == [
        "The Thames",
        "Thames",
        "River Thames",
        "thames",
        "river thames",
        "the thames",
    ]
    assert answer_aliases({"value": "", "aliases": [], "normalized_aliases": []}) == []


def test_local_copy_loads_in_the_question_schema(splits):
    train, validation = splits["train"], splits["validation"]
    assert list(train.columns) == ["question_id", "question", "answers"]
    assert len(train) == 41 and len(validation) == 27
    row = train.set_index("question_id").loc["tc_0"]
    assert row.question == "What is the capital of Zorbia?"
    assert row.answers == ["Zorbia City", "Zorbiaton", "zorbia city", "zorbiaton"]


def test_repeated_questions_are_dropped_by_id_or_normalised_text():
    questions = _questions(
        ("a", "Who wrote Hamlet?"),
        ("b", "WHO wrote  hamlet"),
        ("a", "Something else?"),
        ("c", "Who wrote Macbeth?"),
    )
    assert drop_duplicates(questions).question_id.to_list() == ["a", "c"]


def test_fixture_repeats_are_dropped(splits):
    assert "sfq_900" not in set(drop_duplicates(splits["train"]).question_id)
    assert "qb_901" not in set(drop_duplicates(splits["validation"]).question_id)


def test_questions_also_in_the_other_set_are_dropped(splits):
    kept = drop_overlap(drop_duplicates(splits["train"]), splits["validation"])
    assert {"tc_5", "tc_6"}.isdisjoint(kept.question_id)
    assert len(kept) == 38


def test_sets_are_disjoint_seeded_and_sized(splits):
    sets, counts = sample_question_sets(splits["train"], splits["validation"], seed=3, **SIZES)
    assert {k: len(v) for k, v in sets.items()} == {"pool": 20, "test": 10, "format": 6}
    ids = [set(v.question_id) for v in sets.values()]
    texts = [set(question_keys(v)) for v in sets.values()]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not ids[i] & ids[j] and not texts[i] & texts[j]
    assert set(sets["test"].question_id) <= set(splits["validation"].question_id)
    assert counts["train_repeats_dropped"] == 1 and counts["validation_repeats_dropped"] == 1
    again, _ = sample_question_sets(splits["train"], splits["validation"], seed=3, **SIZES)
    other, _ = sample_question_sets(splits["train"], splits["validation"], seed=4, **SIZES)
    assert all(again[k].equals(sets[k]) for k in sets)
    assert set(other["test"].question_id) != set(sets["test"].question_id)


def test_train_questions_asked_in_the_test_set_never_reach_pool_or_format(splits):
    sizes = {**SIZES, "test_size": 26}  # every distinct validation question, both overlaps
    sets, counts = sample_question_sets(splits["train"], splits["validation"], seed=1, **sizes)
    assert counts["train_in_test_dropped"] == 2
    trained_on = set(sets["pool"].question_id) | set(sets["format"].question_id)
    assert {"tc_5", "tc_6"}.isdisjoint(trained_on)


def test_a_smaller_pool_is_a_prefix_of_a_larger_one(splits):
    small, _ = sample_question_sets(
        splits["train"], splits["validation"], seed=2, **{**SIZES, "pool_size": 8}
    )
    large, _ = sample_question_sets(splits["train"], splits["validation"], seed=2, **SIZES)
    assert large["pool"].question_id.to_list()[:8] == small["pool"].question_id.to_list()
    assert large["format"].equals(small["format"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exemplars_never_overlap_pool_or_test(splits, seed):
    sets, _ = sample_question_sets(splits["train"], splits["validation"], seed=seed, **SIZES)
    asked = set(sets["pool"].question_id) | set(sets["test"].question_id)
    chosen = [choose_exemplars(sets["format"], 4, seed)]
    chosen += exemplar_sets(sets["format"], n_sets=5, k=4, seed=seed)
    for exemplars in chosen:
        assert set(exemplars.question_id) <= set(sets["format"].question_id)
        assert not set(exemplars.question_id) & asked


def test_asking_for_more_questions_than_there_are_names_the_key(splits):
    with pytest.raises(InputError, match=r"questions.triviaqa.test_size: asks for 99 .* 26 usable"):
        sample_question_sets(
            splits["train"], splits["validation"], seed=1, **{**SIZES, "test_size": 99}
        )
    with pytest.raises(InputError, match=r"questions.triviaqa.pool_size \+ format_size"):
        sample_question_sets(
            splits["train"], splits["validation"], seed=1, **{**SIZES, "pool_size": 40}
        )


def test_a_directory_without_the_split_files_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"no train-\*.parquet files"):
        load_triviaqa(tmp_path, "rc.nocontext")


def test_dataset_source_reads_a_fetch_pointer_or_takes_a_directory(tmp_path):
    pointer = tmp_path / "trivia_qa.json"
    write_json({"path": str(FIXTURE), "commit": "abc"}, pointer)
    assert dataset_source(pointer)["commit"] == "abc"
    assert dataset_source(FIXTURE) == {"path": str(FIXTURE)}


def test_repeats_merge_their_aliases_into_the_first():
    questions = pd.DataFrame(
        {
            "question_id": ["a", "b", "c", "a"],
            "question": ["Who wrote Hamlet?", "WHO WROTE HAMLET", "Who wrote Macbeth?", "Other?"],
            "answers": [
                ["Shakespeare"],
                ["William Shakespeare", "Shakespeare"],
                ["W. S."],
                ["Bard"],
            ],
        }
    )
    merged = drop_duplicates(questions)
    assert merged.question_id.to_list() == ["a", "c"]
    assert merged.question.to_list() == ["Who wrote Hamlet?", "Who wrote Macbeth?"]
    assert merged.answers.to_list() == [["Shakespeare", "William Shakespeare", "Bard"], ["W. S."]]


def test_fixture_repeat_adds_its_aliases(splits):
    merged = drop_duplicates(splits["train"]).set_index("question_id")
    repeat = splits["train"].set_index("question_id").loc["sfq_900"]
    assert set(repeat.answers) <= set(merged.loc["tc_0", "answers"])


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("What is the capital city of France?", "What is the capital of France", True),  # 5/6
        ("Which is the largest country by area?", "Which country is the largest by area?", True),
        ("Who wrote Hamlet?", "Who wrote Macbeth?", False),  # 2/4
        ("What is the capital of Zorbia?", "What is the capital of Varnox?", False),  # 4/6
        ("In which year did Elvis die?", "In which year was Elvis born?", False),  # 4/8
    ],
)
def test_near_duplicate_rule(a, b, near):
    one = pd.DataFrame({"question_id": ["x"], "question": [a], "answers": [["1"]]})
    other = pd.DataFrame(
        {
            "question_id": ["y", "z"],
            "question": [b, "Unrelated words here"],
            "answers": [["2"], ["3"]],
        }
    )
    assert near_duplicates(one, other).to_list() == [near]
    assert len(drop_overlap(one, other)) == (0 if near else 1)
    assert len(drop_overlap(one, other, threshold=None)) == 1  # exact-only matching keeps it


def test_near_duplicates_agree_with_brute_force(splits):
    train, validation = splits["train"], splits["validation"]
    mine, theirs = word_sets(train), word_sets(validation)
    for threshold in (0.5, 0.6, 0.8):
        brute = [any(jaccard(a, b) >= threshold for b in theirs) for a in mine]
        assert near_duplicates(train, validation, threshold).to_list() == brute
        assert any(brute) and (threshold < 0.8 or not all(brute))


def test_near_duplicates_of_test_questions_never_reach_the_pool(splits):
    train = splits["train"].copy()
    near = train.iloc[[5]].assign(question_id="near_1")
    test_question = splits["validation"].question.iloc[0]
    near["question"] = test_question.replace("?", "") + " then?"  # one extra word
    train = pd.concat([train, near], ignore_index=True)
    sizes = dict(pool_size=10, test_size=len(drop_duplicates(splits["validation"])), format_size=4)
    sets, counts = sample_question_sets(train, splits["validation"], seed=1, **sizes)
    assert "near_1" not in set(sets["pool"].question_id) | set(sets["format"].question_id)
    assert counts["train_near_test_dropped"] == 1
