"""The local registry: one joblib file per version, written whole; the next free name."""

from __future__ import annotations

import threading
from pathlib import Path

import joblib
import pytest

from monitml.errors import ConfigError, ModelError
from monitml.promotion.registry import LocalRegistry, next_version_name


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        pytest.param([], "v1", id="none"),
        pytest.param(["v1", "v2"], "v3", id="numbered"),
        pytest.param(["v2", "canary", "v10"], "v11", id="highest-number"),
        pytest.param(["champion"], "v1", id="unnumbered"),
    ],
)
def test_the_next_version_name_is_one_above_the_highest_number(
    taken: list[str], expected: str
) -> None:
    assert next_version_name(taken) == expected


def test_a_saved_version_is_a_joblib_file_listed_under_its_model(tmp_path: Path) -> None:
    registry = LocalRegistry(tmp_path / "registry")
    path = registry.save("price", "v3", {"weights": [1, 2]})

    assert path == tmp_path / "registry" / "price" / "v3.joblib"
    assert joblib.load(path) == {"weights": [1, 2]}
    assert registry.versions("price") == {"v3"}
    assert registry.versions("other") == set()
    assert [p.name for p in path.parent.iterdir()] == ["v3.joblib"]  # no temporary left


def test_saving_a_version_again_replaces_its_file(tmp_path: Path) -> None:
    registry = LocalRegistry(tmp_path)
    registry.save("m", "v1", "old")
    assert joblib.load(registry.save("m", "v1", "new")) == "new"


def test_an_object_that_cannot_be_pickled_is_a_model_error_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    registry = LocalRegistry(tmp_path)
    with pytest.raises(ModelError, match="cannot be saved with joblib"):
        registry.save("m", "v1", threading.Lock())
    assert list((tmp_path / "m").iterdir()) == []


def test_a_registry_folder_that_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(ConfigError, match=r"registry\.path: cannot write"):
        LocalRegistry(tmp_path / "a-file").save("m", "v1", 1)


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden"])
def test_a_name_that_is_not_a_plain_file_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="must be letters, digits"):
        LocalRegistry(tmp_path).file("m", name)


def test_retrains_under_way_at_once_claim_different_names(tmp_path: Path) -> None:
    registry = LocalRegistry(tmp_path / "registry")
    registry.save("m", "v2", {"model": 2})
    names: list[str] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        names.append(registry.claim("m", {"v1"}))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(names, key=lambda n: int(n[1:])) == [f"v{n}" for n in range(3, 11)]
    assert registry.versions("m") == {"v2", *names}  # claimed names count as taken


def test_a_released_claim_frees_its_name_and_a_saved_file_keeps_it_taken(tmp_path: Path) -> None:
    registry = LocalRegistry(tmp_path / "registry")
    first = registry.claim("m", set())
    registry.release("m", first)
    assert registry.claim("m", set()) == first == "v1"
    registry.save("m", "v1", {"model": 1})
    registry.release("m", "v1")
    assert registry.claim("m", set()) == "v2"


def test_a_named_version_another_retrain_has_claimed_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    registry = LocalRegistry(tmp_path / "registry")
    assert registry.claim("m", set(), "challenger") == "challenger"
    with pytest.raises(ConfigError, match="'challenger' of 'm' is being trained by another"):
        registry.claim("m", set(), "challenger")
