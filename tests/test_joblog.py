import sys

import pytest

from mismatch.errors import InputError
from mismatch.joblog import job_log


def test_job_log_captures_stderr_and_messages(tmp_path):
    path = tmp_path / "logs" / "job.log"
    with job_log(str(path)) as log:
        print("from stderr", file=sys.stderr)
        log("a message")
    text = path.read_text()
    assert "from stderr" in text and "a message" in text and "done" in text


def test_job_log_records_the_failure_and_prints_one_line(tmp_path, capsys):
    path = tmp_path / "job.log"
    with pytest.raises(SystemExit) as exit_:
        with job_log(str(path)):
            raise InputError("questions.parquet", "missing column 'answers'")
    assert exit_.value.code == 1
    line = f"ERROR: questions.parquet: missing column 'answers' (traceback in {path})"
    assert "Traceback" in path.read_text()
    assert line in path.read_text().splitlines()
    assert capsys.readouterr().err.strip() == line


def test_job_log_reraises_an_unexpected_error(tmp_path, capsys):
    path = tmp_path / "job.log"
    with pytest.raises(KeyError):
        with job_log(str(path)):
            raise KeyError("surprise")
    assert "Traceback" in path.read_text()
    assert capsys.readouterr().err.strip() == f"ERROR: 'surprise' (traceback in {path})"


def test_job_log_starts_with_the_process_start_up_cpu_time(tmp_path):
    path = tmp_path / "job.log"
    with job_log(str(path)):
        pass
    first = path.read_text().splitlines()[0]
    assert "start-up:" in first and "s CPU from process start to the job's entry point" in first
    seconds = float(first.split("start-up:")[1].split()[0])
    assert 0 < seconds < 3600  # this test process's CPU time so far
