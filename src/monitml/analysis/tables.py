"""Reading data files and turning DataFrame columns into statistical samples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from monitml.errors import DataError
from monitml.schema import ColumnKind
from monitml.stats.ecdf import histogram_shares
from monitml.stats.samples import CategoricalSample, NumericSample, Sample
from monitml.stats.summaries import NumericSummary
from monitml.stats.summaries.quality import summary_histogram_shares

__all__ = ["chart_data", "read_table", "to_sample"]

TOP_CATEGORIES = 20


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file; any failure becomes a one-line DataError."""
    if not path.exists():
        raise DataError(f"file not found: {path}")
    if path.is_dir():
        raise DataError(f"not a file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        if suffix in {".csv", ".txt", ".gz", ".zip", ".bz2"}:
            return pd.read_csv(path)
    except Exception as exc:  # pandas and pyarrow raise many types for a bad file
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {path}: {first_line}") from exc
    raise DataError(f"unsupported file type '{suffix or path.name}': use .csv or .parquet")


def to_sample(series: pd.Series, kind: ColumnKind) -> Sample:
    """The statistical summary of one column: sorted numbers or category counts."""
    if kind == "numerical":
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return NumericSample.from_values(values)
    missing = int(series.isna().sum())
    present = series.dropna()
    if pd.api.types.is_float_dtype(present.dtype) and np.all(np.mod(present, 1.0) == 0.0):
        # Integers stored as floats (because of missing values) must match integer labels.
        present = present.astype(np.int64)
    counts = present.astype(str).value_counts(sort=False)
    return CategoricalSample.from_counts(counts.to_dict(), missing)


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
