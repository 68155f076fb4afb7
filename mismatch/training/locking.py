"""One live copy per fine-tuning checkpoint folder: a lock file that works on cluster filesystems.

The lock is ``<folder>.lock`` beside the folder, created atomically by hard-linking a private file
to that name (atomic on NFS and Lustre, unlike ``flock``), and records the holder's host, pid,
process start time, SLURM job id and start time. The holder touches it every ``heartbeat``
seconds. A lock is **stale**, and is taken over, when its holder is dead:

- same host: the recorded pid no longer runs, or runs a different process (other start time);
- another host, with a SLURM job id and ``squeue`` at hand: the job is no longer pending or running;
- otherwise: its heartbeat is older than ``stale_after`` seconds.

A live holder makes a second copy fail at once with one line naming the holder. ``heartbeat`` and
``stale_after`` default to ``MISMATCH_LOCK_HEARTBEAT_S`` (60) and ``MISMATCH_LOCK_STALE_AFTER_S``
(900) from the environment.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from mismatch.errors import InputError

SLURM_LIVE_STATES = {
    "PENDING",
    "RUNNING",
    "CONFIGURING",
    "COMPLETING",
    "SUSPENDED",
    "REQUEUED",
    "RESIZING",
    "SIGNALING",
    "STAGE_OUT",
    "STOPPED",
}


class LockHeld(InputError):
    """Another live process holds the lock on a checkpoint folder."""


def _env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), or ``None``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def holder_record() -> dict[str, Any]:
    """What a lock records about the process taking it."""
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "pid_start": _process_start(os.getpid()),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "token": uuid.uuid4().hex,
    }


def _pid_alive(pid: int, pid_start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    return pid_start is None or _process_start(pid) in (None, pid_start)


def _slurm_job_alive(job_id: str) -> bool | None:
    """Whether SLURM still runs (or will run) ``job_id``; ``None`` when SLURM cannot tell."""
    squeue = shutil.which("squeue")
    if squeue is None:
        return None
    try:
        done = subprocess.run(
            [squeue, "-h", "-j", job_id, "-o", "%T"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    states = set(done.stdout.split())
    if done.returncode == 0:
        return bool(states & SLURM_LIVE_STATES)
    if "Invalid job id" in done.stderr:
        return False  # finished and purged from the controller
    return None


def stale_reason(holder: dict[str, Any], age: float, stale_after: float) -> str | None:
    """Why the lock of ``holder`` (heartbeat ``age`` seconds old) is stale, or ``None`` if live."""
    if holder.get("host") == socket.gethostname():
        if _pid_alive(int(holder["pid"]), holder.get("pid_start")):
            return None
        return f"pid {holder['pid']} no longer runs on {holder['host']}"
    job = holder.get("slurm_job_id")
    if job:
        alive = _slurm_job_alive(str(job))
        if alive is False:
            return f"SLURM job {job} is no longer pending or running"
        if alive:
            return None
    if age > stale_after:
        return f"no heartbeat for {age:.0f} s (more than {stale_after:.0f} s)"
    return None


def describe(holder: dict[str, Any]) -> str:
    """The holder of a lock in a few words (host, pid, SLURM job, start time)."""
    slurm = f", SLURM job {holder['slurm_job_id']}" if holder.get("slurm_job_id") else ""
    started = holder.get("started")
    return f"host {holder.get('host')} pid {holder.get('pid')}{slurm}, since {started}"


def _read(lock: Path) -> tuple[dict[str, Any], float] | None:
    """The holder recorded in ``lock`` and the age of its heartbeat; ``None`` if it is gone."""
    try:
        text = lock.read_text()
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return None
    try:
        return json.loads(text), age
    except json.JSONDecodeError:
        return {"host": "?", "pid": -1, "unreadable": text[:80]}, age


def _try_create(lock: Path, record: dict[str, Any]) -> bool:
    """Create ``lock`` holding ``record`` atomically (hard link of a private file)."""
    private = lock.with_name(f".{lock.name}.{record['token']}")
    private.write_text(json.dumps(record))
    try:
        os.link(private, lock)
        return True
    except FileExistsError:
        return False
    except OSError:
        # NFS may report an error for a link that was made: the link count tells
        return private.stat().st_nlink == 2
    finally:
        private.unlink(missing_ok=True)


def _take_over(lock: Path, judged: dict[str, Any]) -> None:
    """Move a stale lock out of the way, unless it changed since it was judged stale."""
    tomb = lock.with_name(f".{lock.name}.stale-{uuid.uuid4().hex}")
    try:
        os.rename(lock, tomb)
    except FileNotFoundError:
        return
    try:
        current = json.loads(tomb.read_text())
    except (OSError, json.JSONDecodeError):
        current = None
    if current is not None and current.get("token") != judged.get("token"):
        with suppress(OSError):  # a fresh lock taken meanwhile: put it back
            os.link(tomb, lock)
    tomb.unlink(missing_ok=True)


@contextmanager
def checkpoint_lock(
    folder: str | os.PathLike[str],
    *,
    log: Callable[[str], Any] = print,
    heartbeat: float | None = None,
    stale_after: float | None = None,
) -> Iterator[Path]:
    """Hold the lock on checkpoint ``folder`` for the duration of the block (see module doc).

    Raises ``LockHeld`` (one line naming the holder) if a live process holds it.
    """
    heartbeat = heartbeat or _env_seconds("MISMATCH_LOCK_HEARTBEAT_S", 60.0)
    stale_after = stale_after or _env_seconds("MISMATCH_LOCK_STALE_AFTER_S", 900.0)
    folder = Path(folder)
    lock = folder.with_name(f"{folder.name}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    record = holder_record()
    for _ in range(10):
        if _try_create(lock, record):
            break
        found = _read(lock)
        if found is None:
            continue
        holder, age = found
        reason = stale_reason(holder, age, stale_after)
        if reason is None:
            raise LockHeld(
                str(folder),
                f"in use by another copy of this job ({describe(holder)}); wait for it to end "
                f"or stop it (a dead holder's lock, {lock}, is taken over by itself)",
            )
        log(f"taking over the stale lock {lock} of {describe(holder)}: {reason}")
        _take_over(lock, holder)
    else:
        raise LockHeld(str(folder), f"could not take the lock {lock}; try again")
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(heartbeat):
            with suppress(OSError):
                os.utime(lock)

    thread = threading.Thread(target=beat, name="checkpoint-lock-heartbeat", daemon=True)
    thread.start()
    try:
        yield lock
    finally:
        stop.set()
        thread.join()
        found = _read(lock)
        if found is not None and found[0].get("token") == record["token"]:
            lock.unlink(missing_ok=True)
