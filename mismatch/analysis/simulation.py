"""Simulation check of the person-level interval on data shaped like the default study.

Each simulated data set has ``n_worlds`` worlds of ``persons_per_world`` persons with
``questions_per_person`` questions, and two arms (control near 1% wrong, treatment near 60%)
each run with ``n_seeds`` seeds. A person's probability of a wrong answer is drawn per arm from
a beta distribution whose intraclass correlation is the measured one (treatment and control
probabilities of the same person correlated through a Gaussian copula); each seed run shifts
every person's probability of that arm by a common amount (the run effect, crossed with
persons); every question of a person is then wrong with the shifted probability, independently
per run. The truth is the difference of the expected wrong rates of a new person and a new run.

For each data set the person-level "these worlds" interval
(``mismatch.analysis.clustered.resample``) and
the question-level bootstrap (questions resampled as if independent, runs resampled as well)
are computed on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from mismatch.analysis.clustered import Design, percentile_interval, ratio, resample


@dataclass(frozen=True)
class SimulationSettings:
    """The simulated design. Defaults: the default study's shape (2 worlds x 35 persons x 4
    questions, 3 seed runs); wrong rates, within-person ICCs and run-to-run spread as measured
    on main's default run (own: about 1% wrong, ICC about 0.05, runs 1-6%; larger teacher: about
    60% wrong, ICC 0.83-0.87, runs a few points apart)."""

    n_worlds: int = 2
    persons_per_world: int = 35
    questions_per_person: int = 4
    n_seeds: int = 3
    control_rate: float = 0.01
    treatment_rate: float = 0.60
    control_icc: float = 0.05
    treatment_icc: float = 0.83
    arm_correlation: float = 0.3
    control_run_sd: float = 0.02
    treatment_run_sd: float = 0.05


@dataclass(frozen=True)
class CoverageResult:
    """Coverage of the 95% intervals over ``n_datasets`` simulated data sets."""

    n_datasets: int
    n_boot: int
    truth: float
    true_se: float
    person_coverage: float
    person_mean_width: float
    question_coverage: float
    question_mean_width: float

    @property
    def person_width_ratio(self) -> float:
        """Mean width of the person-level interval over the width 2 * 1.96 * true SE."""
        return self.person_mean_width / (2 * 1.959964 * self.true_se)

    @property
    def question_width_ratio(self) -> float:
        return self.question_mean_width / (2 * 1.959964 * self.true_se)


def _beta_parameters(mean: float, rho: float) -> tuple[float, float]:
    """Beta(a, b) with the given mean whose beta-binomial ICC is ``rho`` = 1 / (a + b + 1)."""
    total = (1 - rho) / rho
    return mean * total, (1 - mean) * total


def _person_probabilities(
    rng: np.random.Generator, s: SimulationSettings, n: int
) -> tuple[np.ndarray, np.ndarray]:
    z = rng.standard_normal((2, n))
    r = s.arm_correlation
    z[1] = r * z[0] + np.sqrt(1 - r**2) * z[1]
    u = sps.norm.cdf(z)
    control = sps.beta.ppf(u[0], *_beta_parameters(s.control_rate, s.control_icc))
    treatment = sps.beta.ppf(u[1], *_beta_parameters(s.treatment_rate, s.treatment_icc))
    return control, treatment


def true_difference(s: SimulationSettings, n: int = 2_000_000, seed: int = 12345) -> float:
    """Expected treatment minus control wrong rate for a new person and a new run (Monte Carlo)."""
    rng = np.random.default_rng(seed)
    control, treatment = _person_probabilities(rng, s, n)
    shift_c = rng.normal(0, s.control_run_sd, n)
    shift_t = rng.normal(0, s.treatment_run_sd, n)
    return float(
        np.clip(treatment + shift_t, 0, 1).mean() - np.clip(control + shift_c, 0, 1).mean()
    )


def simulate_answers(rng: np.random.Generator, s: SimulationSettings) -> list[np.ndarray]:
    """Per world: wrong indicators of shape (2 arms, seeds, persons, questions)."""
    worlds = []
    for _ in range(s.n_worlds):
        control, treatment = _person_probabilities(rng, s, s.persons_per_world)
        base = np.stack([control, treatment])  # (2, P)
        sds = np.array([s.control_run_sd, s.treatment_run_sd])[:, None]
        shifted = np.clip(
            base[:, None, :] + rng.normal(0, 1, (2, s.n_seeds))[:, :, None] * sds[:, :, None],
            0,
            1,
        )
        draws = rng.random((2, s.n_seeds, s.persons_per_world, s.questions_per_person))
        worlds.append((draws < shifted[..., None]).astype(float))
    return worlds


def _design(worlds: list[np.ndarray], by_question: bool) -> Design:
    persons, cells = {}, {}
    for w, wrong in enumerate(worlds):
        arms, seeds, n_persons, n_questions = wrong.shape
        if by_question:
            counts = wrong.reshape(arms, seeds, n_persons * n_questions)
            sizes = np.ones_like(counts)
        else:
            counts = wrong.sum(axis=3)
            sizes = np.full_like(counts, n_questions)
        persons[w] = np.arange(counts.shape[2])
        for a in range(arms):
            cells[(w, (a,))] = np.stack([counts[a], sizes[a]], axis=-1)
    return Design(("wrong", "n"), persons, cells)


def _difference_interval(design: Design, n_boot: int, seed: int) -> tuple[float, float, float]:
    draws = resample(design, n_boot, seed)
    rate = ratio("wrong")
    diff = rate(draws.sums((1,))) - rate(draws.sums((0,)))
    est = percentile_interval(diff)
    return est.estimate, est.low, est.high


def coverage(
    settings: SimulationSettings | None = None,
    n_datasets: int = 1000,
    n_boot: int = 400,
    seed: int = 0,
) -> CoverageResult:
    """Coverage and mean width of the person-level and the question-level 95% intervals."""
    s = settings or SimulationSettings()
    truth = true_difference(s)
    rng = np.random.default_rng(seed)
    results = np.empty((n_datasets, 2, 3))
    for i in range(n_datasets):
        worlds = simulate_answers(rng, s)
        for j, by_question in enumerate((False, True)):
            results[i, j] = _difference_interval(_design(worlds, by_question), n_boot, seed + i)
    estimates = results[:, 0, 0]
    covered = (results[:, :, 1] <= truth) & (truth <= results[:, :, 2])
    widths = results[:, :, 2] - results[:, :, 1]
    return CoverageResult(
        n_datasets=n_datasets,
        n_boot=n_boot,
        truth=truth,
        true_se=float(estimates.std(ddof=1)),
        person_coverage=float(covered[:, 0].mean()),
        person_mean_width=float(widths[:, 0].mean()),
        question_coverage=float(covered[:, 1].mean()),
        question_mean_width=float(widths[:, 1].mean()),
    )
