"""Choosing a monitored model's label-free estimator from the columns it logs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitml.estimation import CBPE, DLE, label_free_estimator


def _logged(classes: list[str], rows: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    scores = rng.dirichlet(np.ones(len(classes)), rows)
    frame = pd.DataFrame({f"proba_{c}": scores[:, i] for i, c in enumerate(classes)})
    frame["prediction"] = np.array(classes)[scores.argmax(axis=1)]
    frame["label"] = np.array(classes)[[rng.choice(len(classes), p=row) for row in scores]]
    frame["x"] = rng.normal(size=rows)
    return frame


def test_a_regressor_gets_dle_over_its_features() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "prediction": [1.0, 2.0], "label": [1.5, 2.5]})
    chosen = label_free_estimator(
        frame, regression=True, target="label", prediction="prediction", features=["x"]
    )
    assert isinstance(chosen, DLE)


def test_a_classifier_gets_cbpe_over_its_logged_class_scores_its_task_inferred() -> None:
    for classes, task in ((["no", "yes"], "binary"), (["a", "b", "c"], "multiclass")):
        frame = _logged(classes)
        chosen = label_free_estimator(
            frame, regression=False, target="label", prediction="prediction", features=["x"]
        )
        assert isinstance(chosen, CBPE)
        fitted = chosen.fit(frame)
        estimate = fitted.estimate(frame, chunk=f"{len(frame)}rows")
        assert estimate.task == task
        assert 0.0 <= estimate.chunks[0].metrics["accuracy"].estimated <= 1.0


def test_a_classifier_that_logs_no_scores_gets_none() -> None:
    frame = _logged(["no", "yes"]).drop(columns=["proba_no", "proba_yes"])
    assert (
        label_free_estimator(
            frame, regression=False, target="label", prediction="prediction", features=["x"]
        )
        is None
    )
