"""Logging for one workflow job: stderr, warnings and tracebacks go to the rule's log file."""

from __future__ import annotations

import logging
import re
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mismatch.errors import InputError


def error_line(exc: BaseException, log_path: str) -> str:
    """The one console line for a failed job: its reason and where the traceback is."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"ERROR: {reason} (traceback in {log_path})"


STARTUP_MARK = "start-up:"  # tools/benchmark.py sums these lines over a run's logs
STAMPED_LINE = re.compile(r"^\[\s*([0-9.]+)s\] (.*)$")


def fine_tuning_seconds(log_text: str) -> tuple[float, float]:
    """(seconds fine-tuning, seconds of the whole job) from a student job's log: each unit's
    time from its "fine-tuning on" line to its last step's line, and the last stamp."""
    stamps = [
        (float(match.group(1)), match.group(2))
        for match in map(STAMPED_LINE.match, log_text.splitlines())
        if match
    ]
    tuning, start = 0.0, None
    for seconds, message in stamps:
        if message.startswith("fine-tuning on"):
            start = seconds
        elif start is not None and re.match(r"step (\d+)/\1\b", message):
            tuning += seconds - start
            start = None
    return tuning, stamps[-1][0] if stamps else 0.0


def startup_cpu_seconds() -> float:
    """CPU seconds (user + system) this process has used so far: interpreter start and imports
    when called at a job's entry point."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def job_log(path: str, threads: int | None = None) -> Iterator[Callable[[str], None]]:
    """Send stderr to ``path`` for the duration of a job and yield a timestamped ``log`` function.

    An exception is written to the log with its traceback, and its one-line message, with the
    log's path, also to the console. A known bad input (``InputError``: its message names the file
    or key and what to do) then ends the job with exit status 1 and no traceback on the console;
    any other exception is re-raised. With ``threads``, torch is limited to that many threads.
    The first line records the CPU time the process spent before entering (``STARTUP_MARK``:
    interpreter start-up and imports).
    """
    startup_cpu = startup_cpu_seconds()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    start = time.time()
    with open(path, "w", buffering=1) as handle:
        saved = sys.stderr
        sys.stderr = handle
        logging.basicConfig(stream=handle, level=logging.INFO, force=True)
        if threads is not None:
            import torch

            torch.set_num_threads(max(1, threads))

        def log(message: str) -> None:
            print(f"[{time.time() - start:7.1f}s] {message}", file=handle, flush=True)

        log(f"{STARTUP_MARK} {startup_cpu:.3f} s CPU from process start to the job's entry point")
        try:
            yield log
            log("done")
        except BaseException as exc:
            traceback.print_exc(file=handle)
            line = error_line(exc, path)
            print(line, file=handle, flush=True)
            print(line, file=saved, flush=True)  # the one-line reason, where the user looks
            if isinstance(exc, InputError):
                raise SystemExit(1) from None
            raise
        finally:
            sys.stderr = saved
