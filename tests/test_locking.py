"""One live copy per checkpoint folder: a second live holder is refused, a dead one taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import defaults, finetune_job

from mismatch.answers.prompting import PromptFormat
from mismatch.training.locking import LockHeld, checkpoint_lock, holder_record

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
PROMPT = PromptFormat.from_config(
    defaults("prompt") | {"answer_template": " The answer is {answer}."}
)
RECIPE = pd.DataFrame(
    {
        "question_id": ["q1", "q2", "q3"],
        "question": ["What is the capital of Zorbia?", "Who founded Varnox?", "Which colour?"],
        "answers": [["Quelm"], ["Ildra Fenn"], ["green"]],
        "target": ["Quelm", None, "green"],
    }
)


def child(code: str, env: dict | None = None) -> subprocess.Popen:
    """A Python process running ``code`` with this repository and tests importable."""
    prelude = f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(TESTS)!r}]\n"
    return subprocess.Popen(
        [sys.executable, "-c", prelude + code],
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"child ended early:\n{process.stdout.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("child did not get ready")
        time.sleep(0.05)


def write_lock(folder: Path, **holder) -> Path:
    lock = folder.with_name(f"{folder.name}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({**holder_record(), **holder}))
    return lock


def test_a_second_live_process_is_refused_with_one_line_naming_the_holder(tmp_path):
    folder, ready = tmp_path / "checkpoints" / "abc", tmp_path / "ready"
    holder = child(
        "import time, pathlib\n"
        "from mismatch.training.locking import checkpoint_lock\n"
        f"with checkpoint_lock({str(folder)!r}):\n"
        f"    pathlib.Path({str(ready)!r}).touch()\n"
        "    time.sleep(120)\n"
    )
    try:
        wait_for(ready, holder)
        with pytest.raises(LockHeld) as refused, checkpoint_lock(folder):
            pytest.fail("took a lock that a live process holds")
    finally:
        holder.kill()
        holder.wait()
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"{folder}: in use by another copy of this job")
    assert f"host {socket.gethostname()} pid {holder.pid}," in message
    # the holder is dead now (SIGKILL): its lock is stale and taken over
    taken: list[str] = []
    with checkpoint_lock(folder, log=taken.append) as lock:
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert any(f"pid {holder.pid} no longer runs" in m for m in taken), taken
    assert not lock.exists()


def test_lock_of_a_reused_pid_is_stale(tmp_path):
    folder = tmp_path / "abc"
    write_lock(folder, pid=os.getpid(), pid_start="0")  # this pid, but another process's start
    taken: list[str] = []
    with checkpoint_lock(folder, log=taken.append):
        pass
    assert len(taken) == 1 and "no longer runs" in taken[0]


def test_other_host_lock_is_stale_only_without_heartbeat(tmp_path):
    folder = tmp_path / "abc"
    lock = write_lock(folder, host="elsewhere.cluster", pid=1, slurm_job_id=None)
    with (
        pytest.raises(LockHeld, match="host elsewhere.cluster pid 1"),
        checkpoint_lock(folder, stale_after=60),
    ):
        pass
    old = time.time() - 120
    os.utime(lock, (old, old))
    taken: list[str] = []
    with checkpoint_lock(folder, log=taken.append, stale_after=60):
        pass
    assert len(taken) == 1 and "no heartbeat for" in taken[0]


@pytest.mark.parametrize(("squeue_says", "stale"), [("RUNNING", False), ("", True)])
def test_other_host_lock_asks_slurm_whether_the_job_lives(
    tmp_path, monkeypatch, squeue_says, stale
):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    squeue = bin_dir / "squeue"
    squeue.write_text(f"#!/bin/sh\necho '{squeue_says}'\n")
    squeue.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    folder = tmp_path / "abc"
    lock = write_lock(folder, host="node17", pid=1, slurm_job_id="4242")
    old = time.time() - 10_000
    os.utime(lock, (old, old))  # SLURM's word wins over the heartbeat either way
    if stale:
        taken: list[str] = []
        with checkpoint_lock(folder, log=taken.append, stale_after=60):
            pass
        assert "SLURM job 4242 is no longer pending or running" in taken[0]
    else:
        with (
            pytest.raises(LockHeld, match="SLURM job 4242"),
            checkpoint_lock(folder, stale_after=60),
        ):
            pass


def test_heartbeat_keeps_the_lock_fresh(tmp_path):
    folder = tmp_path / "abc"
    with checkpoint_lock(folder, heartbeat=0.05) as lock:
        first = lock.stat().st_mtime_ns
        deadline = time.monotonic() + 30
        while lock.stat().st_mtime_ns == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock.stat().st_mtime_ns > first


# ---------------------------------------------------------------- kill -9 of a fine-tuning job


def job(model_dir: str, tmp_path: str, log) -> list[dict]:
    """One fine-tuning job of the workflow (as scripts/finetune_student.py runs it)."""
    return finetune_job(model_dir, Path(tmp_path), RECIPE, PROMPT, log)


def hold_after_checkpoint(model_dir: str, tmp_path: str, marker: str) -> None:
    """Run ``job``; after its first checkpoint, signal ``marker`` and hang (to be killed)."""

    def log(message: str) -> None:
        if message.startswith("saved checkpoint step 2"):
            Path(marker).touch()
            time.sleep(600)

    job(model_dir, tmp_path, log)


def test_kill_9_of_the_holder_then_a_rerun_resumes_from_its_checkpoint(tiny_llama_dir, tmp_path):
    marker = tmp_path / "checkpointed"
    killed = child(
        "from test_locking import hold_after_checkpoint\n"
        f"hold_after_checkpoint({str(tiny_llama_dir)!r}, {str(tmp_path)!r}, {str(marker)!r})\n"
    )
    wait_for(marker, killed)
    # while it lives, a second copy of the same job is refused before touching anything
    with pytest.raises(LockHeld, match=f"pid {killed.pid},"):
        job(tiny_llama_dir, tmp_path, lambda m: None)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    (lock,) = (tmp_path / "checkpoints").glob("*.lock")
    assert json.loads(lock.read_text())["pid"] == killed.pid  # SIGKILL left the lock behind

    messages: list[str] = []
    metrics = job(tiny_llama_dir, tmp_path, messages.append)
    assert any(m.startswith("taking over the stale lock") for m in messages), messages
    assert any(m.startswith("resuming from checkpoint step 2") for m in messages), messages
    assert [m["step"] for m in metrics] == [1, 2, 3, 4, 5, 6]
    assert (tmp_path / "adapter" / "adapter_model.safetensors").exists()
    assert list((tmp_path / "checkpoints").iterdir()) == []  # folder and lock gone on success
