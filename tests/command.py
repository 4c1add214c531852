"""Running `dsic` as a user would: `python -m verifier` from this tree."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(*argv, cwd=ROOT):
    """Start `python -m verifier ARGV` in ``cwd``, the package from this
    tree."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "verifier", *argv], cwd=cwd, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def finish(process):
    """Its exit code, stdout and stderr."""
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err
