"""Probe AUROC and calibration against a reference, on planted cases."""

import numpy as np
import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.probes import auroc, auroc_interval, calibration_by_exposure


def test_auroc_planted_cases():
    assert auroc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75  # by hand: 3 of 4
    assert auroc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert auroc([4, 3, 2, 1], [False, False, True, True]) == 0.0
    assert auroc([1, 1, 1, 1], [False, True, False, True]) == 0.5  # ties count one half
    assert np.isnan(auroc([1, 2], [True, True]))
    with pytest.raises(ValueError, match="3 scores but 2"):
        auroc([1, 2, 3], [True, False])


def test_auroc_interval_resamples_persons():
    """A probe that is informative for the reference: AUROC well above 0.5 with an interval
    around it; an uninformative one: an interval covering 0.5."""
    rng = np.random.default_rng(0)
    persons = np.repeat(np.arange(40), 4)
    knows = rng.random(160) < 0.5
    table = pd.DataFrame(
        {
            "person": persons,
            "knows": knows,
            "good": knows + rng.normal(0, 0.7, 160),
            "noise": rng.normal(0, 1, 160),
        }
    )
    good = auroc_interval(table, "good", "knows", "person", n_boot=300)
    assert good["low"] < good["auroc"] < good["high"] and good["low"] > 0.7
    assert good["n_clusters"] == 40 and good["n_facts"] == 160
    noise = auroc_interval(table, "noise", "knows", "person", n_boot=300)
    assert noise["low"] < 0.5 < noise["high"]
    with pytest.raises(InputError, match="missing columns"):
        auroc_interval(table, "nope", "knows", "person")


def test_calibration_by_exposure_bins():
    table = pd.DataFrame(
        {
            "exposure": [0, 0, 1, 3, 5, 20],
            "p": [0.1, 0.3, 0.5, 0.6, 0.9, 1.0],
            "known": [0, 0, 1, 1, 1, 1],
        }
    )
    bins = calibration_by_exposure(table, "p", "known", edges=(0, 1, 2, 8))
    assert bins["exposure"].tolist() == ["0", "1", "2-7", "8+"]
    assert bins["n_facts"].tolist() == [2, 1, 2, 1]
    assert bins.loc[0, "mean_score"] == pytest.approx(0.2) and bins.loc[0, "reference_rate"] == 0
    assert bins.loc[2, "mean_score"] == pytest.approx(0.75)
