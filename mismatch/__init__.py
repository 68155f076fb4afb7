"""Knowledge-mismatch study: the library behind the Snakemake workflow.

Every stage of the workflow is a thin script under ``scripts/`` that calls one module here.
"""

__version__ = "0.1.0"
