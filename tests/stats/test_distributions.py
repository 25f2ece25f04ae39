"""The tail probabilities the default rule computes without importing SciPy, against SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import chdtrc, kolmogorov, ndtr, ndtri

from monitml.stats.distributions import chi2_sf, kolmogorov_sf, normal_isf, normal_sf


@pytest.mark.parametrize("x", [*np.linspace(0.02, 3.0, 150), 4.0, 6.0, 10.0, 20.0])
def test_kolmogorov_sf_matches_scipy(x: float) -> None:
    assert kolmogorov_sf(x) == pytest.approx(float(kolmogorov(x)), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("df", [1, 2, 3, 7, 30, 229, 1_000])
def test_chi2_sf_matches_scipy_from_the_bulk_to_the_far_tail(df: int) -> None:
    for x in [*np.linspace(0.01, 3 * df + 40, 60), 6.0 * df + 300.0]:
        expected = float(chdtrc(df, x))
        assert chi2_sf(x, df) == pytest.approx(expected, rel=1e-10, abs=1e-300)


def test_normal_tails_match_scipy() -> None:
    for z in np.linspace(-8, 35, 200):
        assert normal_sf(z) == pytest.approx(float(ndtr(-z)), rel=1e-12, abs=1e-300)
    for p in [1e-10, 5e-6, 1e-3, 0.05, 0.5, 0.9]:
        assert normal_isf(p) == pytest.approx(float(ndtri(1 - p)), abs=1e-5)


def test_degenerate_arguments() -> None:
    assert kolmogorov_sf(0.0) == 1.0
    assert chi2_sf(0.0, 3) == 1.0
    with pytest.raises(ValueError, match="'df' parameter"):
        chi2_sf(1.0, 0)
    with pytest.raises(ValueError, match="'p' parameter"):
        normal_isf(1.0)
