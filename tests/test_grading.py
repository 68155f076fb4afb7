import pytest

from mismatch.answers.grading import (
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


REFUSALS = [
    "I don't know",
    "I do not know.",
    "i dont know",
    "I don’t know!",
    "I don't know the answer.",
    "Sorry, I don't know.",
    "I'm not sure.",
    "I’m not sure…",
    "I cannot answer that.",
    "I can't answer that question.",
    "I do not know the answer to that question.",
    "I don't know the answer to this question!",
    "“I don't know.”",
    "I'm sorry, I don't know.",
    "Unfortunately, I cannot say.",
    "I have no idea.",
    "No idea",
    "Unknown",
    "The answer is unknown.",
    "I am not sure",
    "Not sure.",
    "I really don't know...",
    "Sorry - I couldn't tell you that.",
    "I don't recall.",
    "I don't remember that.",
    "I don't have an answer.",
    "IDK",
    "i dunno",
    "Honestly, I don't know for sure.",
    "I'm unable to answer that.",
    "I don't know, sorry.",
    # hedged lead-ins and trailing clauses (issue 31: real models hedge)
    "I'm sorry, but I don't know.",
    "I'm sorry, but I don't know the answer to that question.",
    "Unfortunately, I am not sure what the capital of Chad is.",
    "Unfortunately, I don't know the capital of Chad.",
    "I'm afraid I don't know.",
    "To be honest, I have no idea.",
    "I'm sorry, I don't have that information.",
    "I'm not sure. I don't know the answer.",
    "I don't know the answer to that question, I'm afraid.",
    "I am not sure about that.",
    # the fine-tuned students' own refusals in the published real-model run
    # (docs/results/real-small/inputs/labels.parquet: 15,022 and 12 answers)
    "I don't know.",
    "I don’t know.",
]
NOT_REFUSALS = [
    "Paris",
    "I know Paris",
    "don",
    "not Paris",
    "I don't know, maybe Paris",
    "Not sure, but I think it is Lyon.",
    "The answer is Paris.",
    "Unknown Pleasures",
    "I know the answer",
    "Nobody",
    "No",
    "The unknown soldier",
    "I do know",
    "",
    "I don't know which, maybe Paris",
    "Not sure what it is, probably Paris.",
    "I'm not sure the capital is Paris",
    "I don't know the capital of Chad, maybe N'Djamena.",
    # the base models' answers in the published real-model run (none of them is a refusal)
    "Larkana is a small island nation in the Mediterranean Sea.",
    "The Albanian pound is the official currency of Albania.",
    "Finland is a Nordic country located in Europe.",
    "Sierra Leone",
]


@pytest.mark.parametrize("text", REFUSALS)
def test_refusal_wordings(text):
    assert is_abstention(text)
    assert label_answer(text, ["Paris"]) == "abstain"
    assert label_answer(text, ["Paris"], rule="contains") == "abstain"


@pytest.mark.parametrize("text", NOT_REFUSALS)
def test_answers_are_not_refusals(text):
    assert not is_abstention(text)


def test_enough_refusal_cases():
    assert len(REFUSALS) + len(NOT_REFUSALS) >= 30


@pytest.mark.parametrize(
    ("prediction", "aliases", "rule", "label"),
    [
        ("Unknown", ["Unknown"], "exact", "correct"),  # a gold alias wins over a refusal word
        ("unknown.", ["The Unknown"], "exact", "correct"),
        ("No idea", ["No Idea", "Blind Melon song"], "contains", "correct"),
        ("Unknown", ["Paris"], "exact", "abstain"),
        ("I don't know the answer", ["answer"], "contains", "abstain"),  # refusal before contains
        ("It is Paris", ["Paris"], "contains", "correct"),
        ("It is Paris", ["Paris"], "exact", "wrong"),
        ("", ["Paris"], "exact", "malformed"),  # empty is never a wrong answer
    ],
)
def test_label_precedence(prediction, aliases, rule, label):
    assert label_answer(prediction, aliases, rule) == label


def test_label_answer():
    assert label_answer("Paris", ["Paris"]) == "correct"
    assert label_answer("Lyon", ["Paris"]) == "wrong"


@pytest.mark.parametrize(
    ("prediction", "rule", "label"),
    [
        ("Lyon", "exact", "malformed"),  # not well formed and not right: malformed, never wrong
        ("Paris", "exact", "correct"),  # right answers stay right
        ("I don't know", "exact", "abstain"),  # refusals stay refusals
        # the malformed check comes before contains (issue 31): a cut-off answer holding an alias
        # is not an answer (the registered run graded it correct)
        ("the city of Paris", "contains", "malformed"),
        ("the city of Paris", "exact", "malformed"),
        ("", "exact", "malformed"),
    ],
)
def test_label_answer_malformed_precedence(prediction, rule, label):
    assert label_answer(prediction, ["Paris"], rule, well_formed=False) == label


def test_empty_answer_is_malformed_even_when_called_well_formed():
    assert label_answer("  ", ["Paris"]) == "malformed"
