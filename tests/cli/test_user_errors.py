"""Every ``monitml`` command meets a user error with one line on stderr and exit 2: no traceback.

The commands are walked from the Typer app itself, so a command added later is covered; this
file fails, naming it, until ``USAGE`` says how to run it. Each run goes through the real console
script in a subprocess, everything valid but the one thing a test breaks.
"""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer.main
import yaml

from monitml.cli.main import app

SCRIPT = Path(sys.executable).with_name("monitml")
TIMEOUT_S = 120  # a command that does not fail would serve forever: stop it and fail


def _walk(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Leaf commands of a (Typer's own) click group, as ``"export alertmanager"``."""
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):  # a sub-group
            yield from _walk(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


COMMANDS: dict[str, Any] = dict(_walk(typer.main.get_command(app)))


def _takes_config(command: Any) -> bool:
    return any("--config" in getattr(param, "opts", ()) for param in command.params)


@dataclass(frozen=True)
class Usage:
    """How to run one command with everything valid.

    ``args``: the minimum other arguments. The test fills in ``{data}`` (a valid CSV of the
    model's features), ``{from}``/``{to}`` (two ISO dates), ``{port}`` (a free port) and
    ``{out}`` (an output path that can be written), and breaks each of them in turn.
    ``uses``: what the command opens, so that the matching errors are tried on it: ``models``
    (loads the configured models and their reference data), ``store``, ``listens`` (binds a port;
    give ``--port {port}`` in ``args``).
    ``broken``: arguments that must make it fail, for a command without ``--config``; the test
    fills in ``{missing}`` (a file that does not exist), ``{corrupt}`` (a .parquet holding
    garbage) and ``{blocked}`` (a path that cannot be created: its parent is a regular file).
    """

    args: tuple[str, ...] = ()
    uses: frozenset[str] = frozenset()
    broken: tuple[str, ...] | None = None


SERVES = frozenset({"models", "store", "listens"})
USAGE: dict[str, Usage] = {
    "alerts test": Usage(("webhook",)),
    "check": Usage(
        ("--model", "m", "--from", "{from}", "--to", "{to}"), uses=frozenset({"models", "store"})
    ),
    "demo": Usage(("--out", "{out}")),
    "drift": Usage(("{data}", "{data}"), broken=("{data}", "{corrupt}")),
    "estimate": Usage(
        ("{data}", "{data}", "--task", "regression", "--target", "y", "--prediction", "p")
    ),
    "export alertmanager": Usage(),
    "export grafana": Usage(("--out", "{out}")),
    "export prometheus-rules": Usage(),
    "log export": Usage(("--to", "{out}"), uses=frozenset({"store"})),
    "monitor": Usage(("--port", "{port}"), uses=SERVES),
    "promote abort": Usage(("--model", "m"), uses=frozenset({"store"})),
    "promote pause": Usage(("--model", "m"), uses=frozenset({"store"})),
    "promote resume": Usage(("--model", "m"), uses=frozenset({"store"})),
    "promote start": Usage(("--model", "m", "--challenger", "v1"), uses=frozenset({"store"})),
    "promote status": Usage(("--model", "m"), uses=frozenset({"store"})),
    "reference set": Usage(("m", "{data}"), uses=frozenset({"store"})),
    "report": Usage(
        ("--model", "m", "--from", "{from}", "--to", "{to}", "--out", "{out}"),
        uses=frozenset({"models", "store"}),
    ),
    "retrain": Usage(("--model", "m"), uses=frozenset({"models", "store"})),
    "serve": Usage(("--port", "{port}"), uses=SERVES),
}


def _usage(name: str) -> Usage:
    if name not in USAGE:
        pytest.fail(f"`monitml {name}` has no entry in USAGE: say how to run it with valid input")
    return USAGE[name]


def _commands(*, config: bool | None = None, uses: str = "", placeholder: str = "") -> list[str]:
    """The command names that match (a missing USAGE entry matches nothing here)."""
    return [
        name
        for name, command in COMMANDS.items()
        if (config is None or _takes_config(command) == config)
        and (not uses or uses in USAGE.get(name, Usage()).uses)
        and (not placeholder or placeholder in USAGE.get(name, Usage()).args)
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Folder:
    """A folder with a valid config, its model and data, and the files the tests break it with."""

    path: Path
    config: dict[str, Any]

    def write_config(self, name: str, changes: dict[str, Any] | None = None) -> Path:
        """The valid config with ``changes`` merged in (a dotted key replaces one value)."""
        values = copy.deepcopy(self.config)
        for dotted, value in (changes or {}).items():
            *parents, last = dotted.split(".")
            section = values
            for part in parents:
                section = section.setdefault(part, {})
            section[last] = value
        path = self.path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(values), encoding="utf-8")
        return path

    def fill(self, args: tuple[str, ...], **overrides: str) -> list[str]:
        values = {
            "data": str(self.path / "data.csv"),
            "from": "2026-01-01",
            "to": "2026-01-02",
            "port": str(_free_port()),
            "missing": str(self.path / "absent.csv"),
            "corrupt": str(self.path / "garbage.parquet"),
            "blocked": str(self.path / "a-file" / "out"),
            "out": str(self.path / "outputs" / "out"),
            **overrides,
        }
        return [arg.format(**values) if arg.startswith("{") else arg for arg in args]

    def run(
        self, name: str, args: list[str], config: Path | None
    ) -> subprocess.CompletedProcess[str]:
        command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "monitml.cli"]
        command += [*name.split(), *args]
        if config is not None:
            command += ["--config", str(config)]
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("MONITML_") and k != "PROMETHEUS_MULTIPROC_DIR"
        }
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(self.path / "user_code"), env.get("PYTHONPATH")])
        )
        return subprocess.run(
            command,
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )


USER_MODELS = """
import numpy as np

class Constant:
    def predict(self, rows):
        return np.full(len(rows), 1.0)

def constant():
    return Constant()

def raises():
    raise RuntimeError("the loader failed")
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    path = tmp_path_factory.mktemp("user-errors")
    x = [float(i) for i in range(40)]
    frame = pd.DataFrame({"x": x, "c": ["a", "b", "c", "d"] * 10, "y": x, "p": x[::-1]})
    frame.to_csv(path / "data.csv", index=False)  # y, p: a label and a prediction for estimate
    (path / "corrupt.joblib").write_bytes(b"this is not a pickle")
    (path / "garbage.parquet").write_bytes(b"this is not parquet")
    (path / "a-file").write_text("a regular file, not a folder")
    (path / "user_code").mkdir()
    (path / "user_code" / "user_models.py").write_text(USER_MODELS)
    (path / "user_code" / "user_broken.py").write_text("raise RuntimeError('broken module')\n")
    config = {
        "store": {"url": f"sqlite:///{path / 'store.db'}"},
        "models": {
            "m": {
                "task": "regression",
                "features": {"numerical": ["x"], "categorical": ["c"]},
                "reference": "data.csv",
                "versions": {"v1": {"entrypoint": "user_models:constant"}},
            }
        },
    }
    return Folder(path, config)


def assert_one_line(result: subprocess.CompletedProcess[str], *names: str) -> None:
    """Exit 2, exactly one non-empty line on stderr naming ``names``, no traceback."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    for name in names:
        assert name in lines[0], lines[0]


def test_every_command_says_how_to_run_it() -> None:
    missing = sorted(set(COMMANDS) - set(USAGE))
    assert not missing, f"commands with no entry in USAGE: {missing}"
    assert not sorted(set(USAGE) - set(COMMANDS)), "USAGE names commands that do not exist"
    unbreakable = [
        name
        for name in _commands(config=False)
        if USAGE[name].broken is None and not {"{data}", "{out}"} & set(USAGE[name].args)
    ]
    assert not unbreakable, f"say how to break these commands without --config: {unbreakable}"
    portless = [n for n in _commands(uses="listens") if "{port}" not in USAGE[n].args]
    assert not portless, f"commands that listen must take --port {{port}}: {portless}"


BROKEN_CONFIGS = {
    "bad-yaml": "models: [\n",
    "unknown-key": {"surprise": 1},
    "wrong-type": {"server.port": "eighty"},
}


@pytest.mark.parametrize("kind", [*BROKEN_CONFIGS, "missing"])
@pytest.mark.parametrize("name", _commands(config=True))
def test_a_broken_config_is_one_line_and_exit_2(folder: Folder, name: str, kind: str) -> None:
    usage = _usage(name)
    path = folder.path / f"{kind}.yaml"
    broken = BROKEN_CONFIGS.get(kind)
    if isinstance(broken, str):
        path.write_text(broken, encoding="utf-8")
    elif isinstance(broken, dict):
        path = folder.write_config(kind, broken)
    expected = {"unknown-key": "surprise: unknown key", "wrong-type": "server.port"}
    result = folder.run(name, folder.fill(usage.args), path)
    assert_one_line(result, expected.get(kind, str(path)))


@pytest.mark.parametrize(
    "name", [n for n in _commands(config=False) if USAGE.get(n, Usage()).broken]
)
def test_a_command_without_a_config_fails_on_its_broken_arguments(
    folder: Folder, name: str
) -> None:
    broken = USAGE[name].broken
    assert broken is not None
    args = folder.fill(broken)
    culprit = next(
        a for a, b in zip(args, broken, strict=True) if b in {"{missing}", "{corrupt}", "{blocked}"}
    )
    assert_one_line(folder.run(name, args, None), culprit)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize("name", _commands(uses="store"))
def test_an_unreachable_store_is_one_line_naming_store_url(
    folder: Folder, name: str, database: str
) -> None:
    url = {
        "sqlite": "sqlite:////nonexistent/dir/x.db",
        "postgresql": f"postgresql://monitml@127.0.0.1:{_free_port()}/monitml",  # a closed port
    }[database]
    config = folder.write_config(f"store-{database}", {"store.url": url})
    result = folder.run(name, folder.fill(USAGE[name].args), config)
    assert_one_line(result, "store.url")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("sqlite:///{data}", "file is not a database", id="not-a-database"),
        pytest.param("mysql://monitml@localhost/monitml", "not installed", id="driver-missing"),
        pytest.param("sqlite+nodialect:///x.db", "cannot use", id="unknown-dialect"),
    ],
)
def test_a_store_url_that_cannot_work_is_one_line_naming_the_reason(
    folder: Folder, url: str, reason: str
) -> None:
    # Every command opens the store through one function: one command shows it for all.
    name = "reference set"
    config = folder.write_config(
        "store-url", {"store.url": url.format(data=folder.path / "data.csv")}
    )
    result = folder.run(name, folder.fill(USAGE[name].args), config)
    assert_one_line(result, "store.url", reason)


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        *(pytest.param(name, (), id=name) for name in _commands(uses="listens")),
        pytest.param("serve", ("--workers", "2"), id="serve-workers-2"),
    ],
)
def test_a_port_in_use_is_one_line_naming_the_port(
    folder: Folder, name: str, extra: tuple[str, ...]
) -> None:
    config = folder.write_config("valid")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = folder.run(name, [*folder.fill(USAGE[name].args, port=port), *extra], config)
    assert_one_line(result, "--port", port)


MODEL_ERRORS = {
    "missing-reference": ({"models.m.reference": "absent.csv"}, "models.m.reference"),
    "missing-model-file": (
        {"models.m.versions": {"v1": {"path": "absent.joblib"}}},
        "models.m.versions.v1.path",
    ),
    "corrupt-model-file": (
        {"models.m.versions": {"v1": {"path": "corrupt.joblib"}}},
        "models.m.versions.v1.path",
    ),
    "entrypoint-module-missing": (
        {"models.m.versions": {"v1": {"entrypoint": "no_such_module:load"}}},
        "models.m.versions.v1.entrypoint",
    ),
    "entrypoint-raises": (
        {"models.m.versions": {"v1": {"entrypoint": "user_models:raises"}}},
        "models.m.versions.v1.entrypoint",
    ),
    "entrypoint-module-raises": (
        {"models.m.versions": {"v1": {"entrypoint": "user_broken:load"}}},
        "models.m.versions.v1.entrypoint",
    ),
}


@pytest.mark.parametrize("kind", MODEL_ERRORS)
@pytest.mark.parametrize("name", _commands(uses="models"))
def test_a_model_or_reference_that_cannot_load_is_one_line_naming_the_key(
    folder: Folder, name: str, kind: str
) -> None:
    changes, key = MODEL_ERRORS[kind]
    config = folder.write_config(kind, changes)
    assert_one_line(folder.run(name, folder.fill(USAGE[name].args), config), key)


@pytest.mark.parametrize("name", _commands(placeholder="{data}"))
def test_a_missing_input_file_is_one_line_naming_it(folder: Folder, name: str) -> None:
    usage = USAGE[name]
    config = folder.write_config("valid") if _takes_config(COMMANDS[name]) else None
    for index, arg in enumerate(usage.args):
        if arg != "{data}":
            continue
        args = folder.fill(usage.args)
        args[index] = str(folder.path / "absent.csv")
        assert_one_line(folder.run(name, args, config), "absent.csv")


@pytest.mark.parametrize("option", ["from", "to"])
@pytest.mark.parametrize("name", _commands(placeholder="{from}"))
def test_a_date_that_is_not_iso_is_one_line_naming_the_option(
    folder: Folder, name: str, option: str
) -> None:
    args = folder.fill(USAGE[name].args, **{option: "yesterday"})
    result = folder.run(name, args, folder.write_config("valid"))
    assert_one_line(result, f"--{option}", "yesterday")


@pytest.mark.parametrize("name", _commands(placeholder="{out}"))
def test_an_output_that_cannot_be_written_is_one_line_naming_it(folder: Folder, name: str) -> None:
    blocked = str(folder.path / "a-file" / "out")
    args = folder.fill(USAGE[name].args, out=blocked)
    config = folder.write_config("valid") if _takes_config(COMMANDS[name]) else None
    assert_one_line(folder.run(name, args, config), blocked)


@pytest.mark.parametrize(
    ("changes", "args", "named"),
    [
        pytest.param({}, (), "models.m.training", id="no-training-section"),
        pytest.param(
            {"models.m.training": {"entrypoint": "no_such_module:train"}},
            (),
            "models.m.training.entrypoint",
            id="entrypoint-not-importable",
        ),
        pytest.param(
            {"models.m.training": {"entrypoint": "user_broken:train"}},
            (),
            "models.m.training.entrypoint",
            id="entrypoint-module-raises",
        ),
        pytest.param(
            {"models.m.training": {"entrypoint": "user_models:constant"}},
            ("--version", "v1"),
            "--version",
            id="version-already-configured",
        ),
        pytest.param({}, ("--model", "absent"), "--model", id="unknown-model"),
    ],
)
def test_a_retrain_that_cannot_start_is_one_line_naming_the_key(
    folder: Folder, changes: dict[str, Any], args: tuple[str, ...], named: str
) -> None:
    config = folder.write_config("retrain", changes)
    arguments = list(args) if "--model" in args else ["--model", "m", *args]
    assert_one_line(folder.run("retrain", arguments, config), named)


@pytest.mark.parametrize(
    ("name", "args", "named"),
    [
        pytest.param("promote status", ("--model", "absent"), "--model", id="unknown-model"),
        pytest.param(
            "promote pause", ("--model", "m"), "no promotion was ever started", id="none-started"
        ),
        pytest.param(
            "promote start", ("--model", "m", "--challenger", "v7"), "--challenger", id="unknown"
        ),
        pytest.param(
            "promote start",
            ("--model", "m", "--challenger", "v1"),
            "already the champion",
            id="challenger-is-champion",
        ),
    ],
)
def test_a_promotion_change_that_cannot_be_made_is_one_line_saying_why(
    folder: Folder, name: str, args: tuple[str, ...], named: str
) -> None:
    assert_one_line(folder.run(name, list(args), folder.write_config("valid")), named)
