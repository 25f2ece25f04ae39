"""``python -m monitml.cli`` runs the ``monitml`` command."""

from monitml.cli.main import main

main()
