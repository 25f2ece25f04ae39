"""The local model registry: one joblib file per registered version, in ``registry.path``.

``<registry.path>/<model>/<version>.joblib``: the gateway loads a registered version from
there (its ``source["path"]`` in the store), so the folder must be readable by every replica
(a shared volume when they run on several hosts).

What is guaranteed, and what is not:

- A file is written under a temporary name and renamed into place, so a reader never sees half a
  model; saving the same version again replaces its file (a replica that loaded the old one
  keeps serving it until the store's revision tells it to reload).
- A retrain claims its version's name before it fits (``<version>.claim``, created only if
  absent), so two retrains of one model at once never pick, save and register the same name;
  the claim ends with the retrain, registered or not.
- The registry is the files; the store's ``model_versions`` rows say which of them are served. A
  file saved by a retrain that then failed to register is left in place, unused.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from monitml.errors import ConfigError, ModelError

__all__ = ["LocalRegistry", "next_version_name"]

_NUMBERED = re.compile(r"^v(\d+)$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def next_version_name(taken: Collection[str]) -> str:
    """``v<n>`` one above the highest numbered name taken (``v1`` when none is numbered).

    >>> next_version_name(["v1", "v2", "canary"])
    'v3'
    """
    numbers = [int(m.group(1)) for name in taken if (m := _NUMBERED.match(name))]
    candidate = max(numbers, default=0) + 1
    while f"v{candidate}" in taken:  # "v03" and the like never collide, but stay sure
        candidate += 1
    return f"v{candidate}"


class LocalRegistry:
    """Model files under ``root``, one folder per model."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[tuple[str, str], list[Path]] = {}  # folders a claim created

    def file(self, model: str, version: str) -> Path:
        for what, name in (("model", model), ("version", version)):
            if not _SAFE_NAME.match(name):
                raise ValueError(
                    f"A registered {what} name must be letters, digits, '.', '_' or '-'. "
                    f"Got {name!r} instead."
                )
        return (self.root / model / f"{version}.joblib").absolute()

    def versions(self, model: str) -> set[str]:
        """The versions of ``model`` with a file in the registry, or claimed by a retrain."""
        folder = self.root / model
        if not folder.is_dir():
            return set()
        return {path.stem for pattern in ("*.joblib", "*.claim") for path in folder.glob(pattern)}

    def claim(self, model: str, taken: Collection[str], version: str | None = None) -> str:
        """Claim ``version`` (or the next ``v<n>`` free of ``taken`` and of this registry) for a
        retrain under way, atomically: a marker file created only if none exists, so two
        retrains of ``model`` at once never get the same name. :meth:`release` ends it."""
        claimed = set(taken)
        while True:
            name = version or next_version_name(claimed | self.versions(model))
            marker = self.file(model, name).with_suffix(".claim")
            made = [f for f in (marker.parent, marker.parent.parent) if not f.exists()]
            try:
                marker.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                if version is not None:
                    raise ConfigError(
                        f"--version: {version!r} of {model!r} is being trained by another "
                        "retrain; wait for it or choose another name"
                    ) from None
                claimed.add(name)
                continue
            except OSError as error:
                raise ConfigError(
                    f"registry.path: cannot write {marker}: {error.strerror or error}"
                ) from error
            self._made[(model, name)] = made
            return name

    def release(self, model: str, version: str) -> None:
        """End the claim of ``version`` (its model file, when saved, keeps the name taken);
        the folders the claim created go with it while empty (a refused challenger leaves
        the registry as it was)."""
        self.file(model, version).with_suffix(".claim").unlink(missing_ok=True)
        for folder in self._made.pop((model, version), []):
            with contextlib.suppress(OSError):  # not empty: another version's file or claim
                folder.rmdir()

    def save(self, model: str, version: str, fitted: Any) -> Path:
        """Write ``fitted`` as the file of ``version``; return its absolute path."""
        import joblib  # noqa: PLC0415 - with the models, not at import

        target = self.file(model, version)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
            os.close(handle)
            try:
                _dump(joblib, fitted, temporary)
                os.replace(temporary, target)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        except OSError as error:
            raise ConfigError(
                f"registry.path: cannot write {target}: {error.strerror or error}"
            ) from error
        return target


def _dump(joblib: Any, fitted: Any, path: str) -> None:
    try:
        joblib.dump(fitted, path)
    except OSError:
        raise
    except Exception as error:  # pickling runs the user's object's code: any failure is theirs
        raise ModelError(
            f"the challenger cannot be saved with joblib: {type(error).__name__}: {error}"
        ) from error
