"""Fetching Hugging Face hub models and datasets once, into a cache, behind a small JSON pointer.

Only the submit host talks to the hub (the ``fetch_model`` and ``fetch_dataset`` rules); every
other job loads the snapshot directory the pointer names, with no network. The token is whatever
``huggingface_hub`` finds at job time: ``HF_TOKEN`` in the environment, or ``hf auth login``'s file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from huggingface_hub import snapshot_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    IncompleteSnapshotError,
    LocalEntryNotFoundError,
    LocalTokenNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from mismatch.errors import InputError

# weights as safetensors, configs, tokenizer files (sentencepiece, BPE merges, tiktoken)
MODEL_FILES = ["*.safetensors", "*.json", "*.model", "*.txt", "*.tiktoken"]
# duplicate checkpoints some repositories ship in another layout
MODEL_IGNORED = ["original/*", "consolidated*"]
DATASET_SPLITS = ("train", "validation")


def hub_cache(hf_home: str | None) -> str | None:
    """The hub cache under ``hf_home`` (``None``: the user's HF_HOME / HF_HUB_CACHE)."""
    return os.path.join(os.path.expanduser(hf_home), "hub") if hf_home else None


def fetch_model(
    name: str,
    hub: str,
    revision: str | None = None,
    hf_home: str | None = None,
    *,
    local_files_only: bool = False,
) -> dict[str, Any]:
    """Download the weights, config and tokenizer of hub model ``hub``; return its pointer.

    The pointer (``model``, ``hub``, ``revision``, ``commit``, ``path``) is what
    ``mismatch.models.loading.load_model`` accepts in place of a model directory.
    """
    where = f"models.{name}.hub"
    snapshot = _snapshot(
        hub, "model", revision, hf_home, where, MODEL_FILES, MODEL_IGNORED, local_files_only
    )
    path = Path(snapshot["path"])
    if not (path / "config.json").is_file():
        raise InputError(where, f"{hub!r} has no config.json (not a transformers model?)")
    if not any(path.glob("*.safetensors")):
        raise InputError(where, f"{hub!r} has no safetensors weights (only *.bin is not fetched)")
    return {"model": name, "hub": hub, **snapshot}


def fetch_dataset(
    dataset: str,
    name: str,
    revision: str | None = None,
    hf_home: str | None = None,
    *,
    local_files_only: bool = False,
) -> dict[str, Any]:
    """Download the train and validation parquet files of one dataset config; return its pointer."""
    where = "questions.triviaqa.dataset"
    patterns = [f"{name}/{split}-*.parquet" for split in DATASET_SPLITS]
    snapshot = _snapshot(
        dataset, "dataset", revision, hf_home, where, patterns, None, local_files_only
    )
    for split in DATASET_SPLITS:
        if not any((Path(snapshot["path"]) / name).glob(f"{split}-*.parquet")):
            raise InputError(where, f"{dataset!r} has no {name}/{split}-*.parquet files")
    return {"dataset": dataset, "name": name, **snapshot}


def _snapshot(
    repo_id: str,
    repo_type: str,
    revision: str | None,
    hf_home: str | None,
    where: str,
    allow: list[str],
    ignore: list[str] | None,
    local_files_only: bool,
) -> dict[str, Any]:
    cache = hub_cache(hf_home)
    try:
        path = snapshot_download(
            repo_id,
            repo_type=repo_type,
            revision=revision,
            cache_dir=cache,
            allow_patterns=allow,
            ignore_patterns=ignore,
            local_files_only=local_files_only,
        )
    except (OSError, ValueError) as exc:
        cause = fetch_failure(exc, revision, cache or "the default HF_HOME cache")
        raise InputError(where, f"cannot fetch {repo_id!r}: {cause}") from exc
    # a cache snapshot lives in .../snapshots/<commit>
    return {"revision": revision, "commit": Path(path).name, "path": str(Path(path).resolve())}


def fetch_failure(exc: BaseException, revision: str | None, cache: str) -> str:
    """The likely cause of a failed download, in words (one line)."""
    if isinstance(exc, GatedRepoError):
        return (
            "gated repository: accept its terms on huggingface.co with your account and "
            "export HF_TOKEN (or run `hf auth login`)"
        )
    if isinstance(exc, RevisionNotFoundError):
        return f"revision {revision!r} does not exist"
    if isinstance(exc, RepositoryNotFoundError):
        return "not found on the hub: check the id for typos (a private repository needs HF_TOKEN)"
    if isinstance(exc, LocalTokenNotFoundError):
        return "no token found: export HF_TOKEN or run `hf auth login`"
    if isinstance(exc, IncompleteSnapshotError):
        return (
            f"the copy in {cache} is incomplete and the hub cannot be reached "
            "(no network, or HF_HUB_OFFLINE=1)"
        )
    if isinstance(exc, LocalEntryNotFoundError | OfflineModeIsEnabled | ConnectionError):
        return f"not in {cache} and the hub cannot be reached (no network, or HF_HUB_OFFLINE=1)"
    if isinstance(exc, HfHubHTTPError):
        status = getattr(exc.response, "status_code", None)
        if status in (401, 403):
            return "the token was refused (HF_TOKEN invalid, expired, or without access)"
        return f"hub error {status}: {_first_line(exc)}"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
