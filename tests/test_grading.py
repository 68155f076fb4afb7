import pytest

from mismatch.grading import (
    contains_alias,
    is_abstention,
    is_correct,
    label_answer,
    normalize_answer,
)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("The Eiffel Tower", "eiffel tower"),
        ("  A  cat_sat.  ", "cat sat"),
        ("‘Quoted’ “words” `here`", "quoted words here"),
        ("An apple, an orange!", "apple orange"),
        ("theatre", "theatre"),  # articles only as whole words
    ],
)
def test_normalize_answer_follows_triviaqa(raw, normalised):
    assert normalize_answer(raw) == normalised


def test_exact_match_against_any_alias():
    assert is_correct("the beatles", ["Beatles", "The Fab Four"])
    assert is_correct("Fab Four!", ["Beatles", "The Fab Four"])
    assert not is_correct("Beatles band", ["Beatles"])
    assert not is_correct("", ["Beatles"])


def test_contains_rule_needs_whole_words():
    assert is_correct("It was the Beatles band", ["Beatles"], rule="contains")
    assert not is_correct("Beatlesque", ["Beatles"], rule="contains")
    assert contains_alias("I think Paris, France", ["paris"])
    with pytest.raises(ValueError, match="grading rule"):
        is_correct("x", ["x"], rule="fuzzy")


@pytest.mark.parametrize(
    "text", ["I don't know", "I do not know.", "i dont know", "I don’t know!", "Unknown", "No idea"]
)
def test_abstention_wordings(text):
    assert is_abstention(text)
    assert label_answer(text, ["unknown"]) == "abstain"  # abstention wins over a matching alias


@pytest.mark.parametrize("text", ["Paris", "I know Paris", "don", "not Paris"])
def test_answers_are_not_abstentions(text):
    assert not is_abstention(text)


def test_label_answer():
    assert label_answer("Paris", ["Paris"]) == "correct"
    assert label_answer("Lyon", ["Paris"]) == "wrong"
