import pytest
from conftest import defaults

from mismatch.answers.prompting import PromptFormat

SYNTHETIC = PromptFormat.from_config(
    {**defaults("prompt"), "answer_template": " The answer is {answer}."}
)


def test_prompt_with_exemplars_and_targets():
    text = SYNTHETIC.prompt("Who?", [("A?", "x"), ("B?", None)])
    assert text == (
        "Question: A?\nAnswer: The answer is x.\n"
        "Question: B?\nAnswer: I don't know.\n"
        "Question: Who?\nAnswer:"
    )
    assert SYNTHETIC.target("y") == " The answer is y.\n"
    assert SYNTHETIC.target(None) == " I don't know.\n"


def test_extract_answer_strips_template_and_stops_at_newline():
    assert SYNTHETIC.extract_answer(" The answer is Velmar.\nQuestion: x") == "Velmar"
    assert SYNTHETIC.extract_answer(" I don't know.") == "I don't know."
    assert SYNTHETIC.extract_answer(" Velmar") == "Velmar"
    assert PromptFormat.from_config(defaults("prompt")).extract_answer(" Paris\n") == "Paris"


def test_from_config_ignores_other_keys_and_checks_templates():
    fmt = PromptFormat.from_config({**defaults("prompt"), "answer_template": " A: {answer}"})
    assert fmt.answer_template == " A: {answer}"
    with pytest.raises(ValueError, match="question_template"):
        PromptFormat.from_config({**defaults("prompt"), "question_template": "no placeholder"})


@pytest.mark.parametrize(
    ("line", "fits"),
    [
        (" The answer is beige.", True),
        ("The answer is beige.  ", True),
        (" The answer is b", False),  # cut off before the template's closing period
        (" The answer is .", False),  # no answer inside the template
        (" beige", False),
        (" I don't know.", True),  # the abstention line
        ("", False),
    ],
)
def test_fits_the_answer_template(line, fits):
    prompt = PromptFormat(
        "Question: {question}\nAnswer:", " The answer is {answer}.", " I don't know."
    )
    assert prompt.fits(line) is fits


def test_a_bare_answer_template_fits_any_nonempty_line():
    prompt = PromptFormat("Q: {question}\nA:", " {answer}", " I don't know.")
    assert prompt.fits(" William Shakespeare") and prompt.fits("x")
    assert not prompt.fits("   ")
