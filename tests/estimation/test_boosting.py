"""LightGBM boosters through its C library: they learn, repeat themselves and fail in one line."""

from __future__ import annotations

import importlib.util
import pickle
from collections.abc import Iterator

import numpy as np
import pytest

from monitml.errors import ConfigError, DataError
from monitml.estimation import boosting
from monitml.estimation.boosting import BoostedTrees


def _data(rows: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A number, a category (codes 0-3, some missing) and a target that depends on both."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    kind = rng.integers(0, 4, size=rows).astype(np.float64)
    kind[rng.random(rows) < 0.05] = np.nan
    bump = np.select([kind == 2, np.isnan(kind)], [5.0, -3.0], 0.0)
    return np.column_stack([x, kind]), np.abs(x) + bump + rng.normal(0, 0.1, rows)


def test_a_booster_learns_a_nonlinear_target_with_a_category_and_missing_values() -> None:
    inputs, target = _data()
    model = BoostedTrees.fit(inputs, target, categorical=[False, True], iterations=60, leaves=15)
    fresh, truth = _data(seed=1)
    error = np.abs(model.predict(fresh) - truth)
    assert error.mean() < 0.2  # the target's own noise is 0.1 (mean absolute 0.08)
    assert model.predict(np.array([[0.0, 2.0], [0.0, np.nan]])) == pytest.approx([5, -3], abs=0.3)


def test_a_binary_booster_predicts_the_chance_of_a_one() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4000, 1))
    chance = 1 / (1 + np.exp(-2 * x[:, 0]))
    labels = (rng.random(4000) < chance).astype(np.float64)
    model = BoostedTrees.fit(x, labels, objective="binary", iterations=50, leaves=7)
    predicted = model.predict(x)
    assert ((predicted > 0) & (predicted < 1)).all()
    assert np.abs(predicted - chance).mean() < 0.05


def test_the_same_inputs_give_the_same_model_bit_for_bit_whatever_the_threads() -> None:
    inputs, target = _data()

    def fit(threads: int) -> BoostedTrees:
        return BoostedTrees.fit(
            inputs, target, categorical=[False, True], iterations=10, leaves=31, threads=threads
        )

    one, again = fit(1).predict(inputs), fit(1).predict(inputs)
    two = fit(2).predict(inputs, threads=2)
    assert np.array_equal(one, again)
    assert np.array_equal(one, two)


def test_models_fitted_side_by_side_equal_models_fitted_one_by_one() -> None:
    inputs, target = _data()
    together = BoostedTrees.fit_many(inputs, [target, target**2], iterations=20, leaves=7)
    for model, values in zip(together, [target, target**2], strict=True):
        alone = BoostedTrees.fit(inputs, values, iterations=20, leaves=7)
        assert np.array_equal(model.predict(inputs), alone.predict(inputs))


def test_a_pickled_booster_predicts_the_same() -> None:
    inputs, target = _data()
    model = BoostedTrees.fit(inputs, target, categorical=[False, True], iterations=20)
    copy = pickle.loads(pickle.dumps(model))
    assert copy.features == 2
    assert np.array_equal(copy.predict(inputs), model.predict(inputs))


def test_inputs_of_the_wrong_width_are_refused() -> None:
    inputs, target = _data()
    model = BoostedTrees.fit(inputs, target, iterations=5)
    with pytest.raises(ValueError, match="expected 2 input columns, got 1"):
        model.predict(inputs[:, :1])
    with pytest.raises(ValueError, match="expected 3000 target values"):
        BoostedTrees.fit(inputs, target[:10])


def test_an_error_inside_lightgbm_is_a_data_error_with_its_message() -> None:
    inputs, target = _data(rows=200)
    with pytest.raises(DataError, match=r"LightGBM: .*num_leaves"):
        BoostedTrees.fit(inputs, target, leaves=1)


@pytest.fixture
def fresh_library() -> Iterator[None]:
    boosting._library.cache_clear()
    yield
    boosting._library.cache_clear()


@pytest.mark.usefixtures("fresh_library")
def test_without_lightgbm_installed_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "lightgbm" else find_spec(name, *args),
    )
    with pytest.raises(ConfigError, match=r"pip install 'monitml\[estimation\]'"):
        boosting.require_lightgbm()


def test_calls_side_by_side_return_in_order_and_raise_the_first_error() -> None:
    assert boosting.side_by_side([lambda: 1, lambda: 2, lambda: 3]) == [1, 2, 3]

    def fails() -> int:
        raise DataError("broken")

    with pytest.raises(DataError, match="broken"):
        boosting.side_by_side([lambda: 1, fails])
