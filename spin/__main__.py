"""`python -m spin` is the same as the `spin` command."""

from spin.cli import main

main()
