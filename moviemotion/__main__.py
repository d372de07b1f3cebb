"""``python -m moviemotion`` runs the CLI."""

from moviemotion.cli import main

main()
