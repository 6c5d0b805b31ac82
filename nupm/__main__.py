"""Allows `python -m nupm`."""

import sys

from nupm.cli import main

sys.exit(main())
