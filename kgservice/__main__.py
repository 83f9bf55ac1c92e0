"""``python -m kgservice``: the command line."""

from kgservice.cli import main

main()
