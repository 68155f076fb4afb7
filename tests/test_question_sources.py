"""The question-source registry: every source one entry with its hooks, no comparison of
``questions.source`` outside it, an unknown source one config error, every rule a registry names
defined, and the worked example of docs/design.md (a new source) run as written."""

import re

import pandas as pd
import pytest
from workflow_runs import ROOT, copy_workflow, load_config, snakemake, write_config

from mismatch.configuration import (
    answered_splits,
    answering_work,
    check_config,
    check_sizes,
    fetch_rule,
    knowledge_basis,
    question_count,
)
from mismatch.errors import InputError
from mismatch.models.sources import SOURCES as MODEL_SOURCES
from mismatch.questions.sources import SOURCES, QuestionSource, cluster_unit, split_size_key
from mismatch.questions.user_sets import check_disjoint, check_questions

SECTION = (ROOT / "docs" / "design.md").read_text().split("## Adding a question source", 1)[1]
SECTION = SECTION.split("\n## ", 1)[0]
PYTHON = re.findall(r"```python\n(.*?)```", SECTION, re.S)  # the entry, then the script
RULE = re.search(r"```snakemake\n(.*?)```", SECTION, re.S).group(1)
SOURCE_NAMES = ("synthetic", "triviaqa", "files", "facts")


@pytest.fixture
def sums_source():
    """The docs' worked example, executed as written; unregistered afterwards."""
    namespace: dict = {}
    exec(compile(PYTHON[0], "docs/design.md", "exec"), namespace)
    yield namespace
    del SOURCES["sums"]


def sums_config() -> dict:
    """The paper's config (models fetched from the hub, not pretrained) on the sums source."""
    config = load_config("configs/paper.yaml")
    config["questions"]["source"] = "sums"
    config["finetune_set_size"] = 100
    return config


def test_the_worked_example_adds_a_source_by_one_entry(sums_source):
    config = sums_config()
    check_config(config, "x.yaml")  # the checks read the registry: nothing else to edit
    check_sizes(config, "x.yaml")
    assert [question_count(config, s) for s in ("pool", "test", "format")] == [300, 100, 20]
    assert answered_splits(config) == ["pool", "test"]
    assert answering_work(config) == {"answer": 400}  # the cluster requests count it too
    assert cluster_unit(config) == "question" and knowledge_basis(config) == "measured"
    assert fetch_rule(config) is None
    config["finetune_set_size"] = 301
    with pytest.raises(InputError, match=r"pool holds only 300 questions \(SUM_SIZES\['pool'\]"):
        check_sizes(config, "x.yaml")
    sets = sums_source["sum_question_sets"](1)
    assert {split: len(table) for split, table in sets.items()} == {
        "pool": 300,
        "test": 100,
        "format": 20,
    }
    check_disjoint({split: check_questions(table, split) for split, table in sets.items()})
    assert sets["test"].equals(sums_source["sum_question_sets"](1)["test"])  # seeded
    assert re.search(rf"rule {SOURCES['sums'].rule}:", RULE)
    assert f'code("{SOURCES["sums"].rule}")' in RULE


def test_an_unknown_source_is_one_line_naming_the_key():
    config = load_config("config.yaml")
    config["questions"]["source"] = "nope"
    with pytest.raises(InputError) as caught:
        check_config(config, "x.yaml")
    message = str(caught.value)
    assert message.startswith("x.yaml: questions.source: unknown question source 'nope'")
    assert all(name in message for name in SOURCE_NAMES) and "\n" not in message


def test_every_source_counts_and_sizes_its_splits_from_the_config():
    """A source without a count or size hook cannot be registered (the old per-source branch
    of config/sizes.py crashed with KeyError: 'files' for a source missing there)."""
    assert tuple(SOURCES) == SOURCE_NAMES
    for name in ("config.yaml", "configs/exposure.yaml", "configs/real-small.yaml"):
        config = load_config(name)
        for split in answered_splits(config) + ["format"]:
            assert question_count(config, split) > 0
            assert split_size_key(config, split).startswith("questions.")
    config = load_config("configs/paper.yaml")
    assert question_count(config, "test") == 2000
    assert split_size_key(config, "test") == "questions.triviaqa.test_size"
    assert fetch_rule(config) == "fetch_dataset"
    config["questions"]["triviaqa"]["local_dir"] = "/data/trivia_qa"
    assert fetch_rule(config) is None
    with pytest.raises(TypeError):
        QuestionSource("x", "no hooks", "x_questions")  # type: ignore[call-arg]


def test_no_source_is_compared_by_name_outside_the_registry():
    names = "|".join(SOURCE_NAMES)
    patterns = [
        re.compile(r"""\[["']source["']\]\s*(==|!=|in\b)"""),  # config["questions"]["source"] ==
        re.compile(rf"""(==|!=)\s*["']({names})["']"""),
        re.compile(rf"""["']({names})["']\s*(==|!=)"""),
        re.compile(rf"""\bin\s*[(\[{{]\s*["']({names})["']"""),
    ]
    files = [ROOT / "Snakefile", *(ROOT / "rules").glob("*.smk")]
    for folder in ("mismatch", "scripts", "tools"):
        files += (ROOT / folder).rglob("*.py")
    registry = ROOT / "mismatch" / "questions" / "sources.py"
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        if path != registry
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if any(p.search(line) for p in patterns)
    ]
    assert found == []


def test_every_rule_the_registries_name_is_defined():
    """What docs/design.md says a source touches: a question source's rule writes its question
    sets and its fetch hook names a rule; a model source's pointer rule is in rules/fetch.smk
    (a source without one, like path, touches no rule)."""
    rules = {
        path.name: set(re.findall(r"^\s*rule (\w+):", path.read_text(), re.M))
        for path in (ROOT / "rules").glob("*.smk")
    }
    defined = set().union(*rules.values())
    assert {source.rule for source in SOURCES.values()} <= defined
    assert fetch_rule(load_config("configs/paper.yaml")) in rules["fetch.smk"]
    pointer_rules = {s.pointer_rule for s in MODEL_SOURCES.values()} - {None}
    assert pointer_rules == {"fetch_model", "convert_gguf"} and pointer_rules <= rules["fetch.smk"]
    assert MODEL_SOURCES["path"].pointer_rule is None


@pytest.mark.slow
def test_the_worked_example_builds_its_question_sets_in_a_copy_of_the_workflow(tmp_path):
    """The three blocks put where the docs say, then a study on the new source: its question
    sets built by its rule, and the whole study planned."""
    repo = copy_workflow(tmp_path / "repo")
    registry = repo / "mismatch" / "questions" / "sources.py"
    registry.write_text(registry.read_text() + "\n\n" + PYTHON[0])
    rules = repo / "rules" / "questions.smk"
    rules.write_text(rules.read_text() + "\n\n" + RULE)
    (repo / "scripts" / "sum_questions.py").write_text(PYTHON[1])
    configfile = write_config(
        tmp_path / "sums.yaml",
        {
            "extends": str(ROOT / "configs" / "paper.yaml"),
            "questions": {"source": "sums"},
            "finetune_set_size": 100,
        },
    )
    work = tmp_path / "work"
    targets = [f"results/test/w1/questions/{split}.parquet" for split in ("pool", "test")]
    run = snakemake(repo, work, configfile, *targets)
    assert run.returncode == 0, run.output[-3000:]
    sizes = [len(pd.read_parquet(work / target)) for target in targets]
    assert sizes == [300, 100]
    plan = snakemake(repo, work, configfile, "-n", "--quiet", "rules")
    assert plan.returncode == 0, plan.output[-3000:]
    planned = [line for line in plan.output.splitlines() if not line.startswith("Plan:")]
    assert any("answer_" in line for line in planned)
    assert not any("sum_questions" in line for line in planned)
