"""Convert one GGUF model once into the cached safetensors folder; write its JSON pointer."""

from mismatch.io import write_json
from mismatch.joblog import job_log
from mismatch.models.gguf import convert

with job_log(snakemake.log[0]) as log:
    params, name = snakemake.params, snakemake.wildcards.model
    log(f"converting {params.gguf} ({params.dtype}) into the cache {params.cache or 'default'}")
    pointer = convert(params.gguf, params.cache, params.dtype, f"models.{name}.gguf")
    log(f"{pointer}")
    write_json({"model": name, **pointer}, snakemake.output.pointer)
