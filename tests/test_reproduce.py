"""`dsic reproduce --check` re-checks the paper's stored certificates."""

import subprocess
import sys


def test_reproduce_check_accepts_every_stored_certificate():
    done = subprocess.run(
        [sys.executable, "-m", "verifier", "reproduce", "--check"],
        capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert "8 of 8 certificates re-checked and accepted" in done.stdout
    assert "theorem-3.1" in done.stdout and "appendix-a" in done.stdout
