"""The prediction store: SQLAlchemy tables, migrations, the store and its background writer."""

from monitml.store.database import PredictionStore
from monitml.store.records import LabelRecord, PredictionRecord
from monitml.store.writer import LogWriter

__all__ = ["LabelRecord", "LogWriter", "PredictionRecord", "PredictionStore"]
