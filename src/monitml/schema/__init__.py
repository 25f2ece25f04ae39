"""Column roles and kinds."""

from monitml.schema.columns import (
    DEFAULT_MAX_CATEGORICAL_INTEGERS,
    ColumnFacts,
    ColumnKind,
    ColumnMapping,
    ColumnRole,
    ColumnSpec,
    DtypeFamily,
    Schema,
    SeriesFacts,
    dtype_family,
    infer_schema,
    infer_schema_of,
)
from monitml.schema.labels import class_labels_as_text

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
    "class_labels_as_text",
    "dtype_family",
    "infer_schema",
    "infer_schema_of",
]
