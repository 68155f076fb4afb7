"""Publishing a finished run: its tables into docs/results/, its figures into figures/, its
pages (docs/findings.md, docs/exposure.md, docs/real-small.md) and the README's blocks, all
rendered from the committed tables (``tools/publish_findings.py`` is the command). Apart from
the study's own report (``mismatch.report``)."""
