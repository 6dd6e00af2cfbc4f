"""`python -m qa`: the same command line as `qa`."""
import sys

from .cli import main

sys.exit(main())
