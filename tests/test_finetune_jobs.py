"""A workflow fine-tuning job: checkpoints keyed by its settings, so only the same run resumes."""

import pandas as pd
import pytest
from conftest import FINETUNE_RECIPE, SYNTHETIC_PROMPT, finetune_job

PROMPT, RECIPE = SYNTHETIC_PROMPT, FINETUNE_RECIPE


class Killed(Exception):
    pass


def job(model_dir, tmp_path, r, log):
    return finetune_job(model_dir, tmp_path, RECIPE, PROMPT, log, r=r, tag=f"-r{r}")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_killed_job_resumes_but_a_changed_rank_starts_fresh(tiny_llama_dir, tmp_path):
    def kill_after_step_4(message):
        if message.startswith("saved checkpoint step 4"):
            raise Killed

    with pytest.raises(Killed):
        job(tiny_llama_dir, tmp_path, 4, kill_after_step_4)
    assert not (tmp_path / "adapter-r4").exists() and not (tmp_path / "loss-r4.tsv").exists()
    (killed_run,) = (tmp_path / "checkpoints").iterdir()

    changed: list[str] = []
    job(tiny_llama_dir, tmp_path, 2, changed.append)  # another rank: another checkpoint folder
    assert not any("resuming" in m for m in changed)
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == [killed_run.name]

    same: list[str] = []
    metrics = job(tiny_llama_dir, tmp_path, 4, same.append)
    assert any(m.startswith("resuming from checkpoint step 4") for m in same)
    assert [m["step"] for m in metrics] == [1, 2, 3, 4, 5, 6]
    assert (tmp_path / "adapter-r4" / "adapter_model.safetensors").exists()
    assert len(pd.read_csv(tmp_path / "loss-r4.tsv", sep="\t")) == 6
    assert not (tmp_path / "checkpoints").exists() or not any((tmp_path / "checkpoints").iterdir())
