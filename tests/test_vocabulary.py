"""Grading that knows the answer vocabulary (mismatch/answers/vocabulary.py): every relation of
the package facts and a user table; the answer-type check of knowing."""

import pandas as pd
import pytest
from conftest import defaults

from mismatch.answers.grading import is_correct, label_answer
from mismatch.answers.vocabulary import (
    answer_type,
    mentions,
    vocabulary_from_questions,
)
from mismatch.questions.package_facts import RELATIONS, package_facts, package_vocabulary


@pytest.fixture(scope="module")
def facts():
    return package_facts()


@pytest.fixture(scope="module")
def vocabulary():
    return package_vocabulary()


def gold(facts, question_id):
    return list(facts.set_index("question_id").loc[question_id, "answers"])


def grade(facts, vocabulary, question_id, answer, well_formed=True):
    relation = facts.set_index("question_id").loc[question_id, "relation"]
    aliases = gold(facts, question_id)
    return label_answer(
        answer, aliases, "contains", well_formed=well_formed, grader=vocabulary.grader(relation)
    )


# (question, answer, label under contains with the relation's vocabulary), every relation
CASES = [
    # city -> country: an alias inside another country's name is not the country
    ("city_country-seoul-kr", "North Korea", "wrong"),
    ("city_country-seoul-kr", "South Korea", "correct"),
    ("city_country-seoul-kr", "It is in Korea.", "correct"),
    ("city_country-seoul-kr", "Korea, not North Korea", "wrong"),  # names another member
    ("city_country-conakry-gn", "Papua New Guinea", "wrong"),
    ("city_country-conakry-gn", "Equatorial Guinea", "wrong"),
    ("city_country-conakry-gn", "Guinea-Bissau", "wrong"),
    ("city_country-conakry-gn", "The city is in Guinea.", "correct"),
    ("city_country-kinshasa-cd", "Republic of the Congo", "wrong"),
    ("city_country-kinshasa-cd", "Democratic Republic of the Congo", "correct"),
    # the UK's constituent countries: the city's own nation only
    ("city_country-glasgow-gb", "Scotland", "correct"),
    ("city_country-glasgow-gb", "Glasgow is in Scotland.", "correct"),
    ("city_country-glasgow-gb", "England", "wrong"),
    ("city_country-cardiff-gb", "Wales", "correct"),
    ("city_country-sheffield-gb", "England", "correct"),
    ("city_country-sheffield-gb", "United Kingdom", "correct"),
    ("city_country-sheffield-gb", "Scotland", "wrong"),
    # a city is not its country
    ("city_country-mexico-city-mx", "Mexico City", "wrong"),
    ("city_country-mexico-city-mx", "Mexico", "correct"),
    # currencies: a generic alias counts only where no longer member contains it
    ("currency-new-zealand-nz", "Dollar", "correct"),
    ("currency-new-zealand-nz", "New Zealand Dollar", "correct"),
    ("currency-new-zealand-nz", "The New Zealand dollar.", "correct"),
    ("currency-new-zealand-nz", "Australian Dollar", "wrong"),
    ("currency-new-zealand-nz", "It uses the US Dollar.", "wrong"),
    ("currency-south-korea-kr", "North Korean Won", "wrong"),
    ("currency-south-korea-kr", "The South Korean won", "correct"),
    ("currency-falkland-islands-fk", "Pound Sterling", "wrong"),
    ("currency-falkland-islands-fk", "Falkland Islands Pound", "correct"),
    # capitals: another capital named beside the gold one is not an answer
    ("capital-france-fr", "Paris", "correct"),
    ("capital-france-fr", "The capital of France is Paris.", "correct"),
    ("capital-france-fr", "Paris or Brussels", "wrong"),
    ("capital-kuwait-kw", "Kuwait City", "correct"),
    # continents
    ("continent-brazil-br", "South America", "correct"),
    ("continent-brazil-br", "North America", "wrong"),
    ("continent-south-africa-za", "Africa", "correct"),
    ("continent-south-africa-za", "South Africa", "wrong"),  # a country, not the continent
    ("continent-france-fr", "France is a country in Europe.", "correct"),
]


@pytest.mark.parametrize(("question_id", "answer", "label"), CASES)
def test_contains_grading_knows_the_relations_vocabulary(
    facts, vocabulary, question_id, answer, label
):
    assert grade(facts, vocabulary, question_id, answer) == label


def test_the_cases_cover_every_relation_of_the_package_facts(facts):
    relations = facts.set_index("question_id").loc[[c[0] for c in CASES], "relation"]
    assert set(relations) == set(RELATIONS)


def test_without_a_vocabulary_contains_is_the_registered_rule(facts):
    """The registered run's grading (no vocabulary) accepted these; the vocabulary does not."""
    assert is_correct("North Korea", gold(facts, "city_country-seoul-kr"), "contains")
    assert is_correct("Australian Dollar", gold(facts, "currency-new-zealand-nz"), "contains")


def test_the_malformed_check_comes_before_contains(facts, vocabulary):
    qid = "currency-senegal-sn"
    repeated = "CFA Franc CFA Franc CFA Franc CFA Franc"
    assert grade(facts, vocabulary, qid, repeated) == "malformed"  # repeated, even if stopped
    cut_off = "The CFA franc is the currency of Senegal and it is the"
    assert grade(facts, vocabulary, qid, cut_off, well_formed=False) == "malformed"
    assert grade(facts, vocabulary, qid, "The CFA franc.") == "correct"
    assert not is_correct(cut_off, gold(facts, qid), "contains", well_formed=False)
    assert label_answer("Bora Bora", ["Bora Bora"], "contains") == "correct"  # twice is a name


def test_aliases_are_consistent_within_an_entity(facts):
    """England is no alias of the United Kingdom as a whole (only of England's cities)."""
    uk = facts[(facts.relation == "city_country") & (facts.entity == "GB")]
    nations = {"England", "Scotland", "Wales", "Northern Ireland"}
    for aliases in uk["answers"]:
        assert len(nations & set(aliases)) == 1
        assert {"United Kingdom", "UK"} <= set(aliases)


def test_a_user_tables_vocabulary_is_its_relations_gold_answers():
    table = pd.DataFrame(
        {
            "relation": ["author", "author", "author", "year"],
            "answers": [["Mary Shelley", "Shelley"], ["Percy Bysshe Shelley"], ["Homer"], ["1818"]],
        }
    )
    vocabulary = vocabulary_from_questions(table)
    grader = vocabulary.grader("author")
    assert vocabulary.of("year") == {"1818"}
    assert label_answer("Shelley", ["Mary Shelley", "Shelley"], "contains", grader=grader) == (
        "correct"
    )
    assert label_answer(
        "Mary Shelley wrote it", ["Mary Shelley", "Shelley"], "contains", grader=grader
    ) == ("correct")
    wrong = label_answer("Percy Bysshe Shelley", ["Mary Shelley", "Shelley"], "contains",
                         grader=grader)  # fmt: skip
    assert wrong == "wrong"
    assert label_answer("Homer or Shelley", ["Shelley"], "contains", grader=grader) == "wrong"
    assert answer_type("1818", "author", vocabulary) == "other_relation"
    assert answer_type("Byron", "author", vocabulary) == "own_type"


def test_mentions_take_the_longest_name_at_each_position():
    names = {"guinea", "papua new guinea", "new zealand", "new zealand dollar", "dollar"}
    assert mentions("Papua New Guinea", names) == ["papua new guinea"]
    assert mentions("the New Zealand dollar, not the dollar", names) == [
        "new zealand dollar",
        "dollar",
    ]


@pytest.mark.parametrize(
    ("answer", "relation", "kind"),
    [
        ("Sierra Leone", "capital", "other_relation"),  # SmolLM2's answer to capital questions
        ("Freetown", "capital", "own_type"),
        ("Luxembourg", "capital", "own_type"),  # a capital and a country
        ("Mexico", "capital", "other_relation"),
        ("Asia", "city_country", "other_relation"),
        ("Larkana is the capital of Greece", "capital", "own_type"),  # a (wrong) capital
        ("Euro", "continent", "other_relation"),
    ],
)
def test_an_answer_of_another_relations_type_is_a_format_failure(vocabulary, answer, relation,
                                                                 kind):  # fmt: skip
    assert answer_type(answer, relation, vocabulary) == kind


def test_fact_studies_graded_by_contains_carry_the_vocabulary_to_their_jobs():
    from mismatch.config.settings import vocabulary_setting

    facts = {"questions": {"source": "facts", "facts": {"table": None, "max_cities": 1500}}}
    assert vocabulary_setting({**facts, "answering": {"grading": "contains"}}) == {
        "vocabulary": {"table": None, "max_cities": 1500}
    }
    assert vocabulary_setting({**facts, "answering": {"grading": "exact"}}) == {}
    synthetic = {"questions": {"source": "synthetic"}, "answering": {"grading": "contains"}}
    assert vocabulary_setting(synthetic) == {}


def test_labels_of_a_fact_study_use_each_questions_relation_vocabulary(facts, vocabulary):
    from mismatch.answers.answering import graders_of
    from mismatch.answers.prompting import PromptFormat
    from mismatch.training.labels import label_answers

    questions = facts.set_index("question_id").loc[["city_country-seoul-kr"] * 1].reset_index()
    answers = questions.assign(prediction="North Korea", answer="North Korea", stopped=True)
    base = answers.assign(correct=False)
    prompt = PromptFormat.from_config(defaults("prompt"))
    plain = label_answers(answers, base, prompt, grading_rule="contains")
    graded = label_answers(
        answers, base, prompt, grading_rule="contains", graders=graders_of(questions, vocabulary)
    )
    assert plain.label.tolist() == ["correct"] and graded.label.tolist() == ["wrong"]
