"""SliCK knowledge categories: the categorisation on constructed correctness, and its wiring."""

import numpy as np
import pandas as pd
import pytest
from conftest import defaults

import mismatch.knowing.slick as slick
from mismatch.answers.prompting import PromptFormat
from mismatch.errors import InputError
from mismatch.knowing.slick import (
    SlickSettings,
    attach_categories,
    categorize,
    category,
    exemplar_sets,
    measure_correctness,
)
from mismatch.models.loading import load_model

PROMPT = PromptFormat.from_config(defaults("prompt"))


def slick_settings(**changes) -> SlickSettings:
    return SlickSettings.from_config({**defaults("knowledge_categories"), **changes})


FORMAT = pd.DataFrame(
    {
        "question_id": [f"f{i}" for i in range(6)],
        "question": [f"Format question {i}?" for i in range(6)],
        "answers": [[f"answer {i}"] for i in range(6)],
    }
)
QUESTIONS = pd.DataFrame(
    {
        "question_id": ["q1", "q2"],
        "question": ["Capital of Zorbia?", "Colour of the Ombrel flag?"],
        "answers": [["Quelm", "Quelm City"], ["green"]],
    }
)


@pytest.mark.parametrize(
    ("p_greedy", "p_sampled", "expected"),
    [
        (1.0, 0.0, "HighlyKnown"),
        (1.0, 1.0, "HighlyKnown"),
        (0.1, 0.0, "MaybeKnown"),
        (0.9, 1.0, "MaybeKnown"),
        (0.0, 0.01, "WeaklyKnown"),
        (0.0, 0.0, "Unknown"),
    ],
)
def test_category_from_greedy_and_sampled_accuracy(p_greedy, p_sampled, expected):
    assert category(p_greedy, p_sampled) == expected


def test_categorize_constructed_correctness():
    n_sets, n_samples = 3, 4
    greedy = np.array([[1, 1, 1], [1, 0, 0], [0, 0, 0], [0, 0, 0]], dtype=bool)
    sampled = np.zeros((4, n_sets, n_samples), dtype=bool)
    sampled[2, 1, 3] = True  # one lucky sample: weakly known
    sampled[1, :, :2] = True
    table = categorize(["a", "b", "c", "d"], greedy, sampled)
    assert table.category.to_list() == ["HighlyKnown", "MaybeKnown", "WeaklyKnown", "Unknown"]
    assert table.p_correct_greedy.to_list() == pytest.approx([1, 1 / 3, 0, 0])
    assert table.p_correct_sampled.to_list() == pytest.approx([0, 0.5, 1 / 12, 0])


def test_categorize_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shapes"):
        categorize(["a"], np.ones((1, 2)), np.ones((1, 3, 4)))
    with pytest.raises(ValueError, match="2 question ids for 1 rows"):
        categorize(["a", "b"], np.ones((1, 2)), np.ones((1, 2, 4)))


def test_exemplar_sets_are_seeded_different_and_from_the_format_split():
    sets = exemplar_sets(FORMAT, n_sets=10, k=2, seed=5)
    keys = {frozenset(s.question_id) for s in sets}
    assert len(keys) == 10 and all(len(s) == 2 for s in sets)
    again = exemplar_sets(FORMAT, n_sets=10, k=2, seed=5)
    assert all(a.equals(b) for a, b in zip(sets, again, strict=True))
    assert len(exemplar_sets(FORMAT, n_sets=3, k=6, seed=0)) == 3  # only one set is possible
    with pytest.raises(InputError, match="knowledge_categories.n_exemplars: cannot choose 7"):
        exemplar_sets(FORMAT, n_sets=1, k=7, seed=0)


def test_measure_correctness_grades_each_set_and_sample(monkeypatch):
    """Canned generations: q1 right greedily under set 0 only, q2 right in one sample only."""
    calls = {"generate": 0, "sample": 0}

    def fake_generate(model, tokenizer, prompts, **kwargs):
        calls["generate"] += 1
        return [" Quelm City" if calls["generate"] == 1 else " Paris", " blue"][: len(prompts)]

    def fake_sample(model, tokenizer, prompts, *, sampling, seed, **kwargs):
        calls["sample"] += 1
        lucky = calls["sample"] == 2
        return [
            [" no"] * sampling.num_samples,
            [" Green" if lucky and i == 0 else " red" for i in range(sampling.num_samples)],
        ]

    monkeypatch.setattr(slick, "generate", fake_generate)
    monkeypatch.setattr(slick, "sample", fake_sample)
    settings = slick_settings(n_exemplar_sets=2, n_exemplars=2, n_samples=3)
    greedy, sampled = measure_correctness(
        None, None, QUESTIONS, FORMAT, PROMPT, settings, batch_size=4, max_new_tokens=4
    )
    assert greedy.tolist() == [[True, False], [False, False]]
    assert sampled.sum() == 1 and sampled[1, 1, 0]
    table = categorize(QUESTIONS.question_id.to_list(), greedy, sampled)
    assert table.category.to_list() == ["MaybeKnown", "WeaklyKnown"]


def test_measure_correctness_refuses_exemplars_that_are_asked():
    asked = pd.concat([QUESTIONS, FORMAT.iloc[:1]], ignore_index=True)
    with pytest.raises(InputError, match="format split: 1 exemplar"):
        measure_correctness(
            None, None, asked, FORMAT, PROMPT, slick_settings(), batch_size=4, max_new_tokens=4
        )


def test_measure_correctness_runs_a_real_model(tiny_llama_dir):
    model, tokenizer = load_model(tiny_llama_dir, device="cpu")
    settings = slick_settings(n_exemplar_sets=2, n_exemplars=1, n_samples=2)
    greedy, sampled = measure_correctness(
        model, tokenizer, QUESTIONS, FORMAT, PROMPT, settings, batch_size=4, max_new_tokens=3
    )
    assert greedy.shape == (2, 2) and sampled.shape == (2, 2, 2)


def test_attach_categories_adds_the_columns_per_question():
    labels = pd.DataFrame({"question_id": ["q2", "q1"], "label": ["wrong", "correct"]})
    categories = categorize(["q1", "q2"], np.array([[1], [0]]), np.array([[[0]], [[1]]]))
    attached = attach_categories(labels, categories)
    assert attached.question_id.to_list() == ["q2", "q1"]
    assert attached.category.to_list() == ["WeaklyKnown", "HighlyKnown"]
    assert list(attached.columns) == [
        "question_id",
        "label",
        "p_correct_greedy",
        "p_correct_sampled",
        "category",
    ]
    with pytest.raises(InputError, match="categories: no category for 1 labelled question"):
        attach_categories(labels, categories.iloc[:1])
