"""The `dsic` command."""

import sys

from . import __version__


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    print(f"dsic {__version__}")
    return 0
