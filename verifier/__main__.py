"""``python -m verifier``: the `dsic` command."""

import sys

from .cli import main

sys.exit(main())
