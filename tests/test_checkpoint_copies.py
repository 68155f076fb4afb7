"""Two live copies of one fine-tuning run share its checkpoint folder safely, without a lock:
every checkpoint and every cached adapter appears by one atomic rename and is never rewritten."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FINETUNE_RECIPE, SYNTHETIC_PROMPT, finetune_job

from mismatch.io import publish_once

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def child(code: str) -> subprocess.Popen:
    """A Python process running ``code`` with this repository and tests importable."""
    prelude = f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(TESTS)!r}]\n"
    return subprocess.Popen(
        [sys.executable, "-c", prelude + code],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"child ended early:\n{process.stdout.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("child did not get ready")
        time.sleep(0.05)


def job(model_dir, tmp_path, log, tag=""):
    """One fine-tuning run of the workflow (as a finetune_and_label unit runs it)."""
    return finetune_job(model_dir, Path(tmp_path), FINETUNE_RECIPE, SYNTHETIC_PROMPT, log, tag=tag)


def hold_after_checkpoint(model_dir: str, tmp_path: str, marker: str) -> None:
    """Run ``job``; after its first checkpoint, signal ``marker`` and hang (to be killed)."""

    def log(message: str) -> None:
        if message.startswith("saved checkpoint step 2"):
            Path(marker).touch()
            time.sleep(600)

    job(model_dir, tmp_path, log, tag="-held")


def test_a_second_live_copy_resumes_beside_the_first_and_a_sigkill_leaves_nothing_stale(
    tiny_llama_dir, tmp_path
):
    reference = job(tiny_llama_dir, tmp_path / "reference", lambda m: None)
    marker = tmp_path / "checkpointed"
    held = child(
        "from test_checkpoint_copies import hold_after_checkpoint\n"
        f"hold_after_checkpoint({str(tiny_llama_dir)!r}, {str(tmp_path)!r}, {str(marker)!r})\n"
    )
    try:
        wait_for(marker, held)
        # while the first copy lives, a second copy of the same run resumes from its checkpoint
        # and finishes: nothing to wait for, nothing to refuse
        messages: list[str] = []
        metrics = job(tiny_llama_dir, tmp_path, messages.append)
        assert any(m.startswith("resuming from checkpoint step 2") for m in messages), messages
        assert metrics == reference
        assert (tmp_path / "adapter" / "adapter_model.safetensors").exists()
    finally:
        held.send_signal(signal.SIGKILL)
        held.wait()
    # SIGKILL leaves no lock or marker behind: a third copy runs at once, from the start
    # (the second removed the finished run's checkpoints)
    assert not any(p.suffix == ".lock" for p in (tmp_path / "checkpoints").rglob("*"))
    again: list[str] = []
    assert job(tiny_llama_dir, tmp_path, again.append, tag="-again") == reference
    assert not any(m.startswith("resuming") for m in again)


def test_publish_once_keeps_the_first_finished_copy(tmp_path):
    final = tmp_path / "cache" / "key"
    final.parent.mkdir()
    first, second = tmp_path / "cache" / ".key.tmp-a", tmp_path / "cache" / ".key.tmp-b"
    for staged, text in ((first, "first"), (second, "second")):
        staged.mkdir()
        (staged / "state.pt").write_text(text)
    assert publish_once(first, final)
    assert not publish_once(second, final)  # the same work published first: discarded
    assert (final / "state.pt").read_text() == "first"
    assert sorted(p.name for p in final.parent.iterdir()) == ["key"]
