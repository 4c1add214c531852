"""Every command the README shows is run, and prints what it shows."""

import os
import re
import shlex
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
CI = os.path.join(ROOT, ".ci", "run")
# Commands of the "In your tests" section are run by tests/test_plugin.py.
PLUGIN_COMMAND = "python -m pytest -q test_auctions.py"


def blocks():
    """The README's fenced blocks without a language, as lists of lines."""
    found, block, language = [], None, None
    for line in open(README, encoding="utf-8").read().splitlines():
        if not line.startswith("```"):
            if block is not None:
                block.append(line)
        elif block is None:
            block, language = [], line[3:].strip()
        else:
            if not language:
                found.append(block)
            block = None
    return found


def commands():
    """Every command shown: a line after "$ ", or a block of one line."""
    found = []
    for lines in blocks():
        if lines and lines[0].startswith("$ "):
            found.append(lines[0][2:])
        elif len(lines) == 1:
            found.append(lines[0])
    return found


def shown_output(command):
    """The lines the README shows under ``$ command``."""
    for lines in blocks():
        if lines and lines[0] == f"$ {command}":
            return lines[1:]
    raise AssertionError(f"the README shows no output of {command!r}")


def dsic(argv):
    """Run `dsic ARGV` from this tree, as the console script would."""
    done = subprocess.run(
        [sys.executable, "-m", "verifier", *argv], cwd=ROOT,
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONPATH=ROOT), stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


def test_the_quick_start_is_two_commands_install_and_check_then_test():
    quick = [c for c in commands() if c.startswith("python -m pip")]

    assert quick == [
        "python -m pip install . && dsic check appendix-a",
        "python -m pip install '.[test]' && python -m pytest -q",
    ]


def test_ci_runs_the_readmes_test_command():
    lines = [line.strip() for line in open(CI, encoding="utf-8")]

    assert lines[-1] == commands()[commands().index(
        "python -m pip install '.[test]' && python -m pytest -q")]


def test_every_command_shown_is_run_by_a_test():
    known = {"python -m pip install . && dsic check appendix-a",
             "python -m pip install '.[test]' && python -m pytest -q",
             "dsic check appendix-a", PLUGIN_COMMAND}

    assert set(commands()) <= known


def test_the_check_prints_exactly_what_the_readme_shows():
    command = "dsic check appendix-a"
    argv = shlex.split(command)[1:]

    code, out, err = dsic(argv)

    assert code == 1, err
    assert out.splitlines() == shown_output(command), (
        "the README's output of `dsic check appendix-a` is stale: paste "
        "the new output in")


@pytest.mark.parametrize("code", ["0", "1", "2", "3"])
def test_the_exit_codes_table_lists_every_code(code):
    text = open(README, encoding="utf-8").read()
    table = text[text.index("## Exit codes"):]

    assert re.search(rf"^\| {code} \|", table, re.M)


def test_the_mechanism_the_readme_writes_is_verified_as_it_says(tmp_path):
    text = open(README, encoding="utf-8").read()
    section = text[text.index("## Writing a mechanism"):]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    command = re.search(r"`(dsic check my_auction\.py:\S+[^`]*)`",
                        section).group(1)
    (tmp_path / "my_auction.py").write_text(code)

    done = subprocess.run(
        [sys.executable, "-m", "verifier", *shlex.split(command)[1:]],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONPATH=ROOT), stdin=subprocess.DEVNULL)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("VERIFIED")
    paths = re.search(r"symbolic execution \((\d+) paths\)", section)
    assert f"({paths.group(1)} paths)" in " ".join(done.stdout.split())
