"""`python -m mlopsctl` runs the CLI."""

from mlopsctl.cli import main

main()
