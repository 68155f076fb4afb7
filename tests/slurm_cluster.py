"""A throwaway single-node SLURM on the test machine, for tests that submit real jobs.

Needs root and Debian's ``munge slurmctld slurmd slurm-client`` packages (``.ci/run`` installs
them); :func:`unavailable_reason` says why a cluster cannot start here. :func:`single_node_slurm`
writes ``/etc/slurm/slurm.conf`` (the jobs' steps ignore ``SLURM_CONF``, so it must live there),
starts ``munged`` (unless one already answers), ``slurmctld`` and ``slurmd`` in the foreground as
child processes, waits until the node is idle, and on exit stops exactly those processes and
removes the files it wrote. The node declares one GPU so jobs asking ``--gpus=1`` are accepted on
a machine without any: SLURM 22.05 drops a GPU GRES without a device file, so gres.conf binds it
to ``/dev/null`` (harmless with ``TaskPlugin=task/none``, which constrains no devices).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("munge", "slurmctld", "slurmd", "slurm-client")
PROGRAMS = ("munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel")
CONF_DIR = Path("/etc/slurm")
MUNGE_KEY = Path("/etc/munge/munge.key")
MUNGE_SOCKET_DIR = Path("/run/munge")
MARK = "# Written by tests/slurm_cluster.py for a throwaway test cluster; removed on teardown."
PARTITION = "testpart"
NODE_GPUS = 1


@dataclass(frozen=True)
class Cluster:
    """What a test needs to know about the running cluster."""

    partition: str
    node: str
    state_dir: Path  # the daemons' state and logs


def unavailable_reason() -> str | None:
    """Why no test cluster can run on this machine, or None when one can."""
    if os.geteuid() != 0:
        return "a single-node SLURM needs root (the daemons and /etc/slurm)"
    missing = [program for program in PROGRAMS if not _which(program)]
    if missing:
        return (
            f"SLURM/munge programs not installed ({', '.join(missing)}); on Debian: "
            f"apt-get install --no-install-recommends {' '.join(PACKAGES)}"
        )
    for name in ("slurm.conf", "gres.conf"):
        path = CONF_DIR / name
        if path.exists() and not _is_ours(path):
            return f"{path} exists and was not written by these tests; not touching a real SLURM"
    return None


@contextlib.contextmanager
def single_node_slurm(state_dir: Path, timeout: float = 30.0) -> Iterator[Cluster]:
    """Run a one-node cluster with one default partition while the context is open."""
    for directory in (state_dir, state_dir / "slurmctld", state_dir / "slurmd"):
        directory.mkdir(parents=True, exist_ok=True)
    node = _node_line()
    cluster = Cluster(partition=PARTITION, node=node["NodeName"], state_dir=state_dir)
    with contextlib.ExitStack() as stack:
        stack.callback(_remove_our_configs)
        _write_configs(node, state_dir)
        _start_munge(state_dir, stack)
        _start(["slurmctld", "-D"], state_dir / "slurmctld.out", stack)
        _start(["slurmd", "-D"], state_dir / "slurmd.out", stack)
        stack.callback(_cancel_jobs, PARTITION)
        _wait_until_idle(cluster, timeout)
        yield cluster


def _which(program: str) -> str | None:
    return shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def _is_ours(path: Path) -> bool:
    with path.open() as handle:
        return handle.readline().rstrip("\n") == MARK


def _node_line() -> dict[str, str]:
    """The hardware ``slurmd -C`` reports, as NodeName=..., CPUs=..., RealMemory=... fields."""
    out = subprocess.run(
        [_which("slurmd"), "-C"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    first = out.splitlines()[0]
    return dict(field.split("=", 1) for field in first.split())


def _write_configs(node: dict[str, str], state_dir: Path) -> None:
    node_fields = " ".join(f"{key}={value}" for key, value in node.items())
    slurm_conf = f"""{MARK}
ClusterName=mismatchtest
SlurmctldHost={node["NodeName"]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={state_dir}/slurmctld
SlurmdSpoolDir={state_dir}/slurmd
SlurmctldPidFile={state_dir}/slurmctld.pid
SlurmdPidFile={state_dir}/slurmd.pid
SlurmctldLogFile={state_dir}/slurmctld.log
SlurmdLogFile={state_dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=300
GresTypes=gpu
{node_fields} Gres=gpu:{NODE_GPUS} State=UNKNOWN
PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
    gres_conf = f"{MARK}\nName=gpu File=/dev/null\n"
    CONF_DIR.mkdir(parents=True, exist_ok=True)
    (CONF_DIR / "slurm.conf").write_text(slurm_conf)
    (CONF_DIR / "gres.conf").write_text(gres_conf)


def _remove_our_configs() -> None:
    for name in ("slurm.conf", "gres.conf"):
        path = CONF_DIR / name
        if path.exists() and _is_ours(path):
            path.unlink()


def _munge_works() -> bool:
    try:
        return (
            subprocess.run([_which("munge"), "-n"], capture_output=True, timeout=10).returncode == 0
        )
    except subprocess.TimeoutExpired:
        return False


def _start_munge(state_dir: Path, stack: contextlib.ExitStack) -> None:
    """Start ``munged`` as the munge user unless one already answers; create its key if missing."""
    if _munge_works():
        return
    munge = pwd.getpwnam("munge")
    if not MUNGE_KEY.exists():
        MUNGE_KEY.parent.mkdir(parents=True, exist_ok=True)
        MUNGE_KEY.write_bytes(os.urandom(1024))
        os.chown(MUNGE_KEY, munge.pw_uid, munge.pw_gid)
        os.chmod(MUNGE_KEY, 0o400)
    MUNGE_SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    os.chown(MUNGE_SOCKET_DIR, munge.pw_uid, munge.pw_gid)
    _start(["munged", "--foreground"], state_dir / "munged.out", stack, user="munge")
    _poll(_munge_works, 10.0, "munged did not answer", state_dir / "munged.out")


def _start(
    command: list[str], log: Path, stack: contextlib.ExitStack, user: str | None = None
) -> subprocess.Popen:
    """Start a foreground daemon; the stack stops exactly this process on exit."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [_which(command[0]), *command[1:]],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=user,
            start_new_session=True,
        )
    stack.callback(_stop, process)
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def _cancel_jobs(partition: str) -> None:
    subprocess.run([_which("scancel"), "--partition", partition], capture_output=True, timeout=30)


def _node_state(node: str) -> str:
    done = subprocess.run(
        [_which("sinfo"), "--noheader", "--nodes", node, "--format", "%t"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def _wait_until_idle(cluster: Cluster, timeout: float) -> None:
    def idle() -> bool:
        return _node_state(cluster.node) == "idle"

    _poll(
        idle,
        timeout,
        f"node {cluster.node} never became idle",
        cluster.state_dir / "slurmctld.log",
        cluster.state_dir / "slurmd.log",
    )


def _poll(ready, timeout: float, failure: str, *logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            tails = [
                f"--- {log}:\n" + "\n".join(log.read_text().splitlines()[-20:])
                for log in logs
                if log.exists()
            ]
            raise RuntimeError("\n".join([failure, *tails]))
        time.sleep(0.5)
