"""The prediction store: SQLAlchemy tables, migrations, the store and its background writer."""

from monitml.store.database import PredictionStore
from monitml.store.records import LabelRecord, PredictionRecord

__all__ = ["LabelRecord", "PredictionRecord", "PredictionStore"]
