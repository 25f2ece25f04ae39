"""Column roles and kinds."""

from monitml.schema.columns import (
    DEFAULT_MAX_CATEGORICAL_INTEGERS,
    ColumnKind,
    ColumnMapping,
    ColumnRole,
    ColumnSpec,
    Schema,
    dtype_family,
    infer_schema,
)

__all__ = [
    "DEFAULT_MAX_CATEGORICAL_INTEGERS",
    "ColumnKind",
    "ColumnMapping",
    "ColumnRole",
    "ColumnSpec",
    "Schema",
    "dtype_family",
    "infer_schema",
]
