"""Register challengers in an MLflow model registry too (``registry.mlflow.tracking_uri``).

MLflow is the optional ``mlflow`` extra, imported only when a registry is configured. Each
registered challenger becomes a run of the ``monitml`` experiment, with its held-out metrics
and the model file as an artifact under ``model/``, and a new version of the MLflow registered
model named like the MonitML model, tagged ``monitml_version``. Its ``models:/<name>/<n>`` URI
goes into the version's ``source`` in the store beside the local file.

What is guaranteed, and what is not:

- The gateway never loads from MLflow: it serves the local registry's file, so a registry that
  is down does not stop serving; it only makes ``monitml retrain`` fail (exit 2) before the
  version is registered in the store.
- With a local tracking URI (``sqlite:///…`` or a folder) the artifacts go to
  ``<registry.path>/mlflow-artifacts``; with a server, where the server keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitml.errors import ConfigError

__all__ = ["EXPERIMENT", "MlflowRegistry"]

EXPERIMENT = "monitml"
_KEY = "registry.mlflow.tracking_uri"


class MlflowRegistry:
    """Register model files as versions of MLflow registered models."""

    def __init__(self, tracking_uri: str, artifacts: Path) -> None:
        self.tracking_uri = tracking_uri
        self.artifacts = artifacts

    def _client(self) -> Any:
        try:
            from mlflow import MlflowClient  # noqa: PLC0415 - the optional mlflow extra
        except ImportError as error:
            raise ConfigError(
                f"{_KEY}: registering in MLflow needs mlflow: pip install 'monitml[mlflow]'"
            ) from error
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def _experiment(self, client: Any) -> str:
        found = client.get_experiment_by_name(EXPERIMENT)
        if found is not None:
            return str(found.experiment_id)
        local = "://" not in self.tracking_uri or self.tracking_uri.startswith(("sqlite:", "file:"))
        location = self.artifacts.absolute().as_uri() if local else None
        return str(client.create_experiment(EXPERIMENT, artifact_location=location))

    def register(
        self, model: str, version: str, file: Path, metrics: Mapping[str, float | None]
    ) -> str:
        """Log ``file`` in a new run and register it; return ``models:/<model>/<n>``."""
        try:
            return self._register(self._client(), model, version, file, metrics)
        except ConfigError:
            raise
        except Exception as error:  # MLflow raises its own and its backends' exceptions
            raise ConfigError(
                f"{_KEY}: cannot register in MLflow at {self.tracking_uri}: "
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            ) from error

    def _register(
        self,
        client: Any,
        model: str,
        version: str,
        file: Path,
        metrics: Mapping[str, float | None],
    ) -> str:
        run = client.create_run(
            self._experiment(client),
            tags={"monitml_model": model, "monitml_version": version},
            run_name=f"{model}-{version}",
        )
        run_id = run.info.run_id
        for name, value in metrics.items():
            if value is not None:
                client.log_metric(run_id, name, float(value))
        client.log_artifact(run_id, str(file), "model")
        client.set_terminated(run_id)
        if not client.search_registered_models(filter_string=f"name = '{model}'"):
            client.create_registered_model(model)
        created = client.create_model_version(
            model,
            source=f"{run.info.artifact_uri}/model",
            run_id=run_id,
            tags={"monitml_version": version},
        )
        return f"models:/{model}/{created.version}"
