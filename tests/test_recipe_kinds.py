"""The recipe-kind registry: every kind declared once, checked from the registry, and the worked
example of docs/design.md (a new kind by one entry and one function) run as written."""

import re

import pandas as pd
import pytest
from workflow_runs import ROOT, load_config

from mismatch.configuration import check_config
from mismatch.errors import InputError
from mismatch.recipes.kinds import KINDS, build_recipe, recipe_kind

POOL = pd.DataFrame(
    {
        "question_id": [f"q{i}" for i in range(6)],
        "question": [f"Q{i}?" for i in range(6)],
        "answers": [[f"a{i}"] for i in range(6)],
        "correct": [True, False, True, False, True, False],
        "knows": [True, False, True, False, True, False],  # knowing = the graded answer
    }
)


@pytest.fixture
def all_idk_kind():
    """The docs' worked example, executed as written; unregistered afterwards."""
    text = (ROOT / "docs" / "design.md").read_text()
    section = text.split("## Adding a recipe kind", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "docs/design.md", "exec"), {})
    yield KINDS["all_idk"]
    del KINDS["all_idk"]


def test_the_worked_example_adds_a_kind_by_one_entry(all_idk_kind):
    recipe = build_recipe({"kind": "all_idk"}, teacher_pool=POOL, student_pool=POOL, size=4)
    assert len(recipe) == 4 and recipe["abstain"].all() and recipe["target"].isna().all()
    config = load_config("config.yaml")
    config["recipes"] = {"own": {"kind": "teacher", "teacher": "self"}, "idk": {"kind": "all_idk"}}
    check_config(config, "x.yaml")  # the config checks read the registry: nothing else to edit


def test_every_kind_says_what_it_holds_fixed_and_reads():
    assert set(KINDS) >= {"teacher", "gold", "random_idk", "filter_unknown", "grid", "category"}
    for kind in KINDS.values():
        assert kind.description and kind.holds_fixed and callable(kind.build)
    assert KINDS["teacher"].needs_teacher and not KINDS["gold"].needs_teacher
    assert KINDS["category"].needs_categories and KINDS["grid"].needs_size


def test_an_unknown_kind_or_a_missing_key_is_one_line_naming_the_recipe():
    with pytest.raises(InputError, match=r"x.yaml: recipes.r.kind: unknown recipe kind 'nope'"):
        recipe_kind({"kind": "nope"}, "x.yaml: recipes.r")
    config = load_config("config.yaml")
    config["recipes"]["bad"] = {"kind": "mismatch", "teacher": "self", "level": 0.5}
    with pytest.raises(InputError, match=r"recipes.bad: kind mismatch needs level and "):
        check_config(config, "x.yaml")


def test_the_report_states_what_each_recipe_holds_fixed():
    from mismatch.recipes.kinds import controls_table
    from mismatch.report.rendering import controls_markdown

    recipes = {
        "own": {"kind": "teacher", "teacher": "self"},
        "random_idk": {"kind": "random_idk", "teacher": "large"},
    }
    table = controls_table(recipes).set_index("recipe")
    assert table.loc["random_idk", "holds_fixed"] == KINDS["random_idk"].holds_fixed
    assert "abstention count" in table.loc["random_idk", "holds_fixed"]
    text = "\n".join(controls_markdown(controls_table(recipes)))
    assert "Holds fixed (against the own recipe)" in text and "random_idk" in text
