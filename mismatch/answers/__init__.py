"""Answering: the prompt format, batched one-line generation, grading of each answer against
the gold aliases, and answering jobs cut into shards."""
