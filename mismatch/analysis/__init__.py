"""Analysis: the study's tables from its labels, with intervals and tests at the independent
units (clusters crossed with seed runs)."""
