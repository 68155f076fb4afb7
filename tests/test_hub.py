"""Fetching hub models and datasets, offline: a hub-shaped local cache, and the failure messages."""

import shutil
from pathlib import Path

import httpx2
import pytest
from conftest import COMMIT, hub_cache_entry
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from mismatch.errors import InputError
from mismatch.io import write_json
from mismatch.models.hub import fetch_dataset, fetch_failure, fetch_model
from mismatch.models.loading import check_model_dir, load_model, resolve_model_path
from mismatch.questions.triviaqa import load_triviaqa

FIXTURES = Path(__file__).parent / "fixtures"


def test_fetch_model_from_a_hub_shaped_cache_gives_a_loadable_pointer(tmp_path, tiny_llama_dir):
    hf_home = tmp_path / "hf"
    snapshot = hub_cache_entry(hf_home, "org/tiny-llama", tiny_llama_dir)
    pointer = fetch_model("student", "org/tiny-llama", None, str(hf_home), local_files_only=True)
    assert pointer["commit"] == COMMIT
    assert Path(pointer["path"]) == snapshot.resolve()
    assert pointer["model"] == "student" and pointer["hub"] == "org/tiny-llama"
    pointer_file = tmp_path / "results" / "models" / "student.json"
    write_json(pointer, pointer_file)
    assert resolve_model_path(pointer_file) == snapshot.resolve()
    check_model_dir(pointer_file)
    model, tokenizer = load_model(pointer_file, device="cpu")
    assert model.config.model_type == "llama" and tokenizer.padding_side == "left"


def test_a_model_not_in_the_cache_fails_offline_with_one_line_naming_it(tmp_path):
    with pytest.raises(InputError) as error:
        fetch_model("teacher", "org/not-cached", None, str(tmp_path), local_files_only=True)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("models.teacher.hub: cannot fetch 'org/not-cached'")
    assert "no network, or HF_HUB_OFFLINE=1" in message


def test_a_snapshot_without_safetensors_is_refused(tmp_path, tiny_llama_dir):
    files = tmp_path / "files"
    shutil.copytree(tiny_llama_dir, files)
    (files / "model.safetensors").unlink()
    hf_home = tmp_path / "hf"
    hub_cache_entry(hf_home, "org/bin-only", files)
    with pytest.raises(InputError, match="models.m.hub: 'org/bin-only' has no safetensors weights"):
        fetch_model("m", "org/bin-only", None, str(hf_home), local_files_only=True)


def test_a_pointer_without_a_path_is_refused(tmp_path):
    pointer = tmp_path / "m.json"
    write_json({"hub": "org/x"}, pointer)
    with pytest.raises(InputError, match=r"m.json: not a model pointer"):
        check_model_dir(pointer)


def test_fetch_dataset_from_a_hub_shaped_cache_loads_through_datasets(tmp_path):
    hf_home = tmp_path / "hf"
    hub_cache_entry(hf_home, "mandarjoshi/trivia_qa", FIXTURES / "trivia_qa", "datasets")
    pointer = fetch_dataset(
        "mandarjoshi/trivia_qa", "rc.nocontext", None, str(hf_home), local_files_only=True
    )
    assert pointer["commit"] == COMMIT and pointer["name"] == "rc.nocontext"
    splits = load_triviaqa(pointer["path"], pointer["name"])
    assert len(splits["train"]) == 41 and len(splits["validation"]) == 27


def _response(status: int) -> httpx2.Response:
    return httpx2.Response(status, request=httpx2.Request("GET", "https://huggingface.co/api"))


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (GatedRepoError("gated", response=_response(403)), "gated repository"),
        (RepositoryNotFoundError("nope", response=_response(404)), "check the id for typos"),
        (RevisionNotFoundError("nope", response=_response(404)), "revision 'v9' does not exist"),
        (HfHubHTTPError("unauthorized", response=_response(401)), "token was refused"),
        (LocalEntryNotFoundError("offline"), "the hub cannot be reached"),
        (ConnectionError("down"), "the hub cannot be reached"),
    ],
)
def test_fetch_failures_name_the_likely_cause(error, cause):
    message = fetch_failure(error, "v9", "/cache")
    assert cause in message and "\n" not in message
