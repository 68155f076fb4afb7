"""Atomic writes and checked reads of the pipeline's files: parquet with metadata, JSON, text."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mismatch.errors import InputError

METADATA_KEY = b"mismatch"


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary sibling path; move it onto ``path`` only if the block succeeds."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def replace_directory(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty temporary sibling folder; it replaces ``path`` only if the block succeeds,
    so a killed job never leaves a half-written folder under the final name."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_parquet(
    df: pd.DataFrame, path: str | os.PathLike[str], metadata: dict | None = None
) -> None:
    """Write ``df`` to parquet atomically, with ``metadata`` stored as JSON in the schema."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    if metadata is not None:
        merged = dict(table.schema.metadata or {})
        merged[METADATA_KEY] = json.dumps(metadata, sort_keys=True, default=str).encode()
        table = table.replace_schema_metadata(merged)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_parquet(path: str | os.PathLike[str], columns: list[str] | None = None) -> pd.DataFrame:
    """Read a parquet file, turning unreadable or truncated files into a one-line ``InputError``."""
    if not Path(path).exists():
        raise InputError(str(path), "file does not exist")
    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            str(path),
            f"not a readable parquet file ({_first_line(exc)}); if a stage wrote it, delete it "
            "and rerun",
        ) from exc


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the pipeline metadata stored in a parquet file (empty if none)."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(str(path), f"not a readable parquet file ({_first_line(exc)})") from exc
    raw = (schema.metadata or {}).get(METADATA_KEY)
    return json.loads(raw) if raw else {}


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``df`` as CSV (no index), atomically."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def write_json(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file, naming the file on failure."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise InputError(str(path), "file does not exist") from exc
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc


def write_text(text: str, path: str | os.PathLike[str]) -> None:
    """Write ``text`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def path_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's content, or of every file (relative name and content) under a folder."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else "").encode() + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def publish_once(staged: str | os.PathLike[str], final: str | os.PathLike[str]) -> bool:
    """Move the finished folder ``staged`` to ``final`` by one atomic rename, unless ``final``
    exists (another copy of the same work published it first: ``staged`` is discarded).

    What a content-keyed cache holds is written only this way, so two copies of a job on one key
    never see each other's half-written files and need no lock. True if ``staged`` was published.
    """
    final = Path(final)
    try:
        if not final.exists():
            os.rename(staged, final)
            return True
    except OSError:
        if not final.is_dir():
            raise
    shutil.rmtree(staged, ignore_errors=True)
    return False
