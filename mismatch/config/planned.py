"""The config the workflow plans with, built in one call from the command line's config files and
``--config`` values: layers resolved, the study named, the schema's defaults filled in, sweeps
expanded, and every check run, each failure one line naming the file and key."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mismatch.config.checks import check_config, check_sizes
from mismatch.config.layers import layered_config, override_scalars
from mismatch.config.schema import SCHEMA_PATH, drop_unset_model_sources, schema_error
from mismatch.config.sweeps import expand_sweeps
from mismatch.errors import InputError


def planned_config(
    configfiles: Sequence[str | Path], command_line: Mapping[str, Any] | None, repo: str | Path
) -> dict[str, Any]:
    """The checked config of the study that ``configfiles`` (the ``--configfile`` ones, else the
    embedded default) and ``command_line`` (``--config``) describe, with ``study`` set to its
    name (``mismatch.studies.study_name``). Jobs (local or on SLURM) get the same arguments and
    rebuild the same config. Raises ``InputError`` (one line) for any bad value."""
    from snakemake.utils import update_config, validate  # fills in defaults as the workflow does

    from mismatch.studies import study_dir, study_name

    command_line = command_line or {}
    config = layered_config(configfiles, command_line)
    config["study"] = study_name(configfiles, command_line, repo)
    drop_unset_model_sources(config)  # an overlay's `hub: null` + `path:` switches a source
    # --config 'finetune={lora: {r: 4}}' arrives with nested values as strings: parse them as YAML
    update_config(config, override_scalars(command_line))
    problem = schema_error(config, SCHEMA_PATH)
    if problem:
        key, _, what = problem.partition(": ")  # every schema problem reads "key: what"
        raise InputError(key, what)
    validate(config, str(SCHEMA_PATH))  # fills in the schema's defaults
    expand_sweeps(config)
    if config["finetune"]["checkpoint_root"] is None:
        config["finetune"]["checkpoint_root"] = f"{study_dir(config['study'])}/.checkpoints"
    # errors name the config file given (the embedded default's is config.yaml) and the key
    source = os.path.relpath((list(configfiles) or ["config"])[-1])
    check_config(config, source)
    check_sizes(config, source)
    return config
