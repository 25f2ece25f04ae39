"""Built-in drift methods; importing this package registers them all."""

from __future__ import annotations

from monitml.stats.methods.divergences import (
    HellingerDistance,
    JensenShannonDistance,
    KLDivergence,
    PopulationStabilityIndex,
)
from monitml.stats.methods.ecdf_distances import EnergyDistance, WassersteinDistance
from monitml.stats.methods.ecdf_tests import AndersonDarling, CramerVonMises, KolmogorovSmirnov
from monitml.stats.methods.proportions import ChiSquare, FisherExact, ZTest

__all__ = [
    "AndersonDarling",
    "ChiSquare",
    "CramerVonMises",
    "EnergyDistance",
    "FisherExact",
    "HellingerDistance",
    "JensenShannonDistance",
    "KLDivergence",
    "KolmogorovSmirnov",
    "PopulationStabilityIndex",
    "WassersteinDistance",
    "ZTest",
]
