"""Chart data of a compared column: both distributions on common bins, for the reports."""

from __future__ import annotations

from typing import Any

from monitml.errors import DataError
from monitml.stats.ecdf import histogram_shares
from monitml.stats.samples import CategoricalSample, NumericSample, Sample
from monitml.stats.summaries import NumericSummary
from monitml.stats.summaries.quality import summary_histogram_shares

__all__ = ["TOP_CATEGORIES", "chart_data"]

TOP_CATEGORIES = 20


def chart_data(reference: Sample | NumericSummary, current: Sample) -> dict[str, Any]:
    """Reference and current distributions on common bins, for the report's charts."""
    if isinstance(current, NumericSample) and isinstance(reference, NumericSample | NumericSummary):
        if isinstance(reference, NumericSummary):
            edges, ref_share, cur_share = summary_histogram_shares(reference, current.values)
        else:
            edges, ref_share, cur_share = histogram_shares(reference.values, current.values)
        return {
            "type": "histogram",
            "edges": edges.tolist(),
            "reference": ref_share.tolist(),
            "current": cur_share.tolist(),
        }
    if isinstance(reference, CategoricalSample) and isinstance(current, CategoricalSample):
        ref_counts = dict(zip(reference.categories, reference.counts.tolist(), strict=True))
        cur_counts = dict(zip(current.categories, current.counts.tolist(), strict=True))
        pooled = {c: ref_counts.get(c, 0) / reference.size for c in ref_counts | cur_counts}
        for category, count in cur_counts.items():
            pooled[category] += count / current.size
        top = sorted(pooled, key=lambda c: (-pooled[c], c))[:TOP_CATEGORIES]
        ref_shares = [ref_counts.get(c, 0) / reference.size for c in top]
        cur_shares = [cur_counts.get(c, 0) / current.size for c in top]
        if len(pooled) > len(top):
            top.append("(other)")
            ref_shares.append(max(0.0, 1.0 - sum(ref_shares)))
            cur_shares.append(max(0.0, 1.0 - sum(cur_shares)))
        return {"type": "bars", "categories": top, "reference": ref_shares, "current": cur_shares}
    raise DataError("reference and current samples are of different kinds")
