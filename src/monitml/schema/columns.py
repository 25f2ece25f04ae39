"""Column roles and kinds, inferred from reference data and overridable.

Roles keep the prediction, the target, ids and timestamps out of feature drift unless a
user asks for them; kinds decide which statistics apply.

Inference needs two facts per column, its dtype family and its kind (``ColumnFacts``), so a
reader other than pandas (``monitml.analysis.parquet``) can supply them; a DataFrame's come from
``SeriesFacts``. pandas is imported only when a Series is looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from monitml.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_MAX_CATEGORICAL_INTEGERS",
    "ColumnFacts",
    "ColumnKind",
    "ColumnMapping",
    "ColumnRole",
    "ColumnSpec",
    "DtypeFamily",
    "Schema",
    "SeriesFacts",
    "dtype_family",
    "infer_schema",
    "infer_schema_of",
]

ColumnKind = Literal["numerical", "categorical"]
ColumnRole = Literal["feature", "prediction", "target", "id", "timestamp"]
DtypeFamily = Literal["numeric", "string", "boolean", "datetime", "empty"]

# Integers with this many distinct values or fewer are categories (flags, small codes);
# more distinct values make a count or a measurement.
DEFAULT_MAX_CATEGORICAL_INTEGERS = 5


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """What the user says about columns; anything unsaid is inferred."""

    numerical: Sequence[str] = ()
    categorical: Sequence[str] = ()
    ignore: Sequence[str] = ()
    target: str | None = None
    prediction: str | None = None
    id: str | None = None
    timestamp: str | None = None
    max_categorical_integers: int = DEFAULT_MAX_CATEGORICAL_INTEGERS
    include_roles: Sequence[ColumnRole] = ()

    def named_columns(self) -> list[str]:
        """Every column the mapping names, for checking against the data."""
        roles = [self.target, self.prediction, self.id, self.timestamp]
        return [
            *self.numerical,
            *self.categorical,
            *self.ignore,
            *(name for name in roles if name is not None),
        ]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    kind: ColumnKind
    role: ColumnRole


@dataclass(frozen=True, slots=True)
class Schema:
    """The columns of a data set with their kind and role, in data order."""

    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)

    def by_role(self, *roles: ColumnRole) -> list[ColumnSpec]:
        return [column for column in self.columns if column.role in roles]

    @property
    def features(self) -> list[ColumnSpec]:
        return self.by_role("feature")

    def get(self, name: str) -> ColumnSpec | None:
        return next((column for column in self.columns if column.name == name), None)


class ColumnFacts(Protocol):
    """What schema inference needs to know of one column."""

    def family(self) -> DtypeFamily:
        """The column's dtype family (see :func:`dtype_family`)."""
        ...

    def kind(self, max_categorical_integers: int) -> ColumnKind:
        """The kind inferred from the values when the mapping does not name one."""
        ...


@dataclass(frozen=True, slots=True)
class SeriesFacts:
    """The facts of a pandas column."""

    series: pd.Series

    def family(self) -> DtypeFamily:
        return dtype_family(self.series)

    def kind(self, max_categorical_integers: int) -> ColumnKind:
        return _infer_kind(self.series, max_categorical_integers)


def dtype_family(series: pd.Series) -> DtypeFamily:
    """Coarse type of a column, used to spot a type that changed between two files."""
    import pandas as pd  # noqa: PLC0415  # only when a Series is looked at

    if series.isna().all():
        return "empty"
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    return "string"


def _infer_kind(series: pd.Series, max_categorical_integers: int) -> ColumnKind:
    import pandas as pd  # noqa: PLC0415

    family = dtype_family(series)
    if family != "numeric":
        return "categorical"
    values = series.dropna()
    if not pd.api.types.is_integer_dtype(series.dtype):
        # Floats are a category code only if every value is whole; a sample decides most
        # columns before the whole column is scanned.
        head = values.to_numpy(dtype=np.float64)
        if not (np.all(np.mod(head[:1_000], 1.0) == 0.0) and np.all(np.mod(head, 1.0) == 0.0)):
            return "numerical"
    if values.head(10_000).nunique() > max_categorical_integers:
        return "numerical"
    return "categorical" if values.nunique() <= max_categorical_integers else "numerical"


def _check_known(names: Iterable[str], columns: Collection[Hashable], where: str) -> None:
    unknown = [name for name in names if name not in columns]
    if unknown:
        raise DataError(f"unknown column(s) in {where}: {', '.join(sorted(set(unknown)))}")


def infer_schema(reference: pd.DataFrame, mapping: ColumnMapping | None = None) -> Schema:
    """Kinds and roles of the reference's columns, with the mapping's overrides applied.

    Booleans, strings and categories are categorical; integers with few distinct values
    too; other numbers are numerical; datetime columns are timestamps, never features.
    """
    return infer_schema_of(reference.columns, lambda name: SeriesFacts(reference[name]), mapping)


def infer_schema_of(
    names: Collection[Hashable],
    facts: Callable[[Hashable], ColumnFacts],
    mapping: ColumnMapping | None = None,
) -> Schema:
    """:func:`infer_schema` of any table: its column ``names`` and each one's ``facts``.

    ``facts`` is called once per column not ignored, in order; a kind is asked for only
    when the mapping names none.
    """
    mapping = mapping or ColumnMapping()
    _check_known(mapping.named_columns(), names, "the column options")
    both = set(mapping.numerical) & set(mapping.categorical)
    if both:
        raise DataError(f"column(s) both numerical and categorical: {', '.join(sorted(both))}")
    named_roles: list[tuple[ColumnRole, str | None]] = [
        ("target", mapping.target),
        ("prediction", mapping.prediction),
        ("id", mapping.id),
        ("timestamp", mapping.timestamp),
    ]
    roles: dict[str, ColumnRole] = {name: role for role, name in named_roles if name is not None}
    ignored = set(mapping.ignore)
    specs: list[ColumnSpec] = []
    for name in names:
        label = str(name)
        if label in ignored:
            continue
        column = facts(name)
        column_role: ColumnRole = roles.get(label, "feature")
        if column_role == "feature" and column.family() == "datetime":
            column_role = "timestamp"
        if label in mapping.numerical:
            kind: ColumnKind = "numerical"
        elif label in mapping.categorical:
            kind = "categorical"
        else:
            kind = column.kind(mapping.max_categorical_integers)
        specs.append(ColumnSpec(label, kind, column_role))
    return Schema(tuple(specs))
