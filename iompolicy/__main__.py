"""`python -m iompolicy` runs the command line."""

from .cli import run

run()
