"""Entry point for ``python -m search``."""

from search.cli import cli

if __name__ == "__main__":
    cli()
