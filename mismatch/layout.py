"""Where each file of a study lies, under its folder ``results/<study>/`` (``mismatch.studies``
names the folder): the patterns the rules name, with ``{w}``-style wildcards, and the lists of
every such file that the summary gathers."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StudyPaths:
    """Where each file of one study lies, under its folder ``root`` (``results/<study>``): the
    patterns the rules name (with ``{w}``-style wildcards) and the lists of every such file."""

    root: str
    knowing: str  # the study's definition of knowing: the knows tables every step reads

    def out(self, path: str) -> str:
        """``path`` inside the study's folder."""
        return f"{self.root}/{path}"

    def answers(self, w: Any, model: Any, split: Any) -> str:
        """The answer table of ``model`` on ``split`` (rules/answers.smk)."""
        return self.out(f"w{w}/answers/{model}/{split}.parquet")

    def knows(self, w: Any, model: Any, split: Any, definition: str | None = None) -> str:
        """The knows table of ``model`` on ``split`` by ``definition`` (default the study's;
        rules/knows.smk)."""
        return self.out(f"w{w}/knows/{definition or self.knowing}/{model}/{split}.parquet")

    def shards(self, stage: str, w: Any, model: Any, split: Any, n_shards: int) -> list[str]:
        """The jobs one (model, split) table of ``stage`` (answers, categories) is gathered from."""
        return [
            self.out(f"w{w}/{stage}/{model}/{split}.shards/{k}.parquet") for k in range(n_shards)
        ]

    @property
    def patterns(self) -> dict[str, str]:
        """Files whose keys (world, student, ...) are not stored in them: the summary parses each
        path with the same pattern that lists it (the keys of ``every``)."""
        return {
            "base": self.answers("{w}", "{student}", "test"),
            "checks": self.out("w{w}/checks/{student}.json"),
            "losses": self.out("w{w}/students/{student}/{recipe}/ft{seed}/loss.tsv"),
            "questions": self.out("w{w}/questions/test.parquet"),
            "knows": self.knows("{w}", "{model}", "{split}"),
            "probes": self.out("w{w}/probes/{model}.parquet"),
            "answers": self.answers("{w}", "{model}", "{split}"),
        }

    def every(self, name: str, **values: Iterable[Any]) -> list[str]:
        """Pattern ``name`` (one of ``patterns``, or labels, sets, knowledge, sweep_checks) filled
        with every combination of ``values``, in the order Snakemake's ``expand`` gives (the last
        key varies fastest)."""
        pattern = {
            **self.patterns,
            "labels": self.out("w{w}/labels/{student}/{recipe}/ft{seed}.parquet"),
            "sets": self.out("w{w}/sets/{student}/{recipe}.parquet"),
            "knowledge": self.out("w{w}/knowledge/{model}.json"),
            "sweep_checks": self.out("w{w}/checks/sweeps/{student}.json"),
        }[name]
        keys = list(values)
        return [
            pattern.format(**dict(zip(keys, combination, strict=True)))
            for combination in itertools.product(*(list(v) for v in values.values()))
        ]

    def question_sets(self, worlds: Iterable[Any]) -> dict[str, str]:
        """The pool and test question sets of every world, keyed "w/split" (their relations)."""
        return {
            f"{w}/{split}": self.out(f"w{w}/questions/{split}.parquet")
            for w in worlds
            for split in ("pool", "test")
        }

    def gathered(
        self,
        worlds: Sequence[Any],
        models: Sequence[str],
        students: Sequence[str],
        recipes: Sequence[str],
        seeds: Sequence[Any],
        *,
        sweeps: bool,
        probes: bool,
    ) -> dict[str, list[str]]:
        """Every file gather_labels reads, by its input name: each student's labels, sets, loss
        curves, checks (and sweep checks, where the study has sweeps) and base test answers;
        each model's knowledge report, pool and test knows tables and answers (and fact probes,
        in the exposure world); every world's test questions and pool and test question sets."""
        w, pool_test = worlds, ["pool", "test"]
        return {
            "labels": self.every("labels", w=w, student=students, recipe=recipes, seed=seeds),
            "recipes": self.every("sets", w=w, student=students, recipe=recipes),
            "knowledge": self.every("knowledge", w=w, model=models),
            "checks": self.every("checks", w=w, student=students),
            "sweep_checks": self.every("sweep_checks", w=w, student=students) if sweeps else [],
            "base": self.every("base", w=w, student=students),
            "knows": self.every("knows", w=w, model=models, split=pool_test),
            "questions": self.every("questions", w=w),
            "losses": self.every("losses", w=w, student=students, recipe=recipes, seed=seeds),
            "probes": self.every("probes", w=w, model=models) if probes else [],
            "answers": self.every("answers", w=w, model=models, split=pool_test),
            "question_sets": list(self.question_sets(w).values()),
        }
