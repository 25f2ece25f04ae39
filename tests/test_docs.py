"""Every command and every config section a user can reach is documented (datasette's habit)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from monitml.cli.main import app
from monitml.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(
    path.read_text(encoding="utf-8")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
)


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        names += [f"monitml {name} {child}" for child in sub] if sub else [f"monitml {name}"]
    return names


def test_every_command_is_documented() -> None:
    missing = [name for name in _commands() if name not in DOCS]
    assert not missing, f"undocumented commands: {missing}"


def test_every_config_section_is_documented() -> None:
    sections = [name for name in Settings.model_fields if name != "base_dir"]
    missing = [name for name in sections if f"{name}:" not in DOCS]
    assert not missing, f"undocumented config sections: {missing}"
