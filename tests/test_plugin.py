"""The pytest plugin: assert_dsic, the dsic marker, options and summary."""

import os
import re
import shlex
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

# The engine is imported here, before any in-process pytester run: such a
# run forgets the modules it imported, and numpy cannot be loaded twice.
import mechanisms  # noqa: F401
import verifier
import verifier.search  # noqa: F401
from verifier import checker
from verifier.assertions import DsicViolation, describe_failure
from verifier.errors import InvalidArgument, MechanismError
from verifier.verdict import NONE_FOUND, REFUTED, VERIFIED

ROOT = Path(__file__).resolve().parents[1]
QUICK = "budget=2000, timeout=20"

AUCTIONS = '''
def second_price(profile):
    """Highest bid wins, ties to the first bidder; it pays the next bid."""
    bids = [group[0] for group in profile]
    top = max(range(len(bids)), key=lambda j: (bids[j], -j))
    price = max([b for j, b in enumerate(bids) if j != top], default=0)
    access = [[j == top] for j in range(len(bids))]
    pays = [[price if j == top else 0] for j in range(len(bids))]
    return access, pays


def first_price(profile):
    """Highest bid wins, ties to the first bidder; it pays its bid."""
    bids = [group[0] for group in profile]
    top = max(range(len(bids)), key=lambda j: (bids[j], -j))
    access = [[j == top] for j in range(len(bids))]
    pays = [[bids[top] if j == top else 0] for j in range(len(bids))]
    return access, pays
'''


def never_returns(profile):
    """A plain mechanism with an infinite loop."""
    while True:
        pass


def plugin_args():
    """Load the plugin in an inner pytest run: by its entry point when the
    project is installed, else by module name."""
    installed = any(ep.name == "dsic" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "verifier.pytest_plugin"]


def run_python(code):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True,
        text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def second_price(profile):
    """Plain Vickrey over single bidders."""
    bids = [group[0] for group in profile]
    top = max(range(len(bids)), key=lambda j: (bids[j], -j))
    price = max([b for j, b in enumerate(bids) if j != top], default=0)
    return ([[j == top] for j in range(len(bids))],
            [[price if j == top else 0] for j in range(len(bids))])


# -------------------------------------------------------- registration

def test_loading_the_plugin_imports_neither_z3_nor_numpy():
    code = ("import sys, verifier, verifier.pytest_plugin, "
            "verifier.assertions; "
            "from verifier.pytest_plugin import shapes, profiles; "
            "print(sorted({'z3', 'numpy'} & set(sys.modules)))")

    done = run_python(code)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_session_that_checks_nothing_imports_neither(pytester,
                                                       monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_light="""
        import sys

        def test_nothing_heavy_was_imported():
            assert not {"z3", "numpy"} & set(sys.modules)
    """)

    result = pytester.runpytest_subprocess("-p", "verifier.pytest_plugin")

    result.assert_outcomes(passed=1)


def test_the_pytest11_entry_point_loads_the_plugin(tmp_path):
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    module = project["entry-points"]["pytest11"]["dsic"]
    dist = tmp_path / "dsic-0.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: dsic\nVersion: 0.0.0\n")
    (dist / "entry_points.txt").write_text(f"[pytest11]\ndsic = {module}\n")
    path = f"{tmp_path}{os.pathsep}{ROOT}"

    def help_text(**env):
        return subprocess.run(
            [sys.executable, "-m", "pytest", "--help"], cwd=tmp_path,
            capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": path, **env}).stdout

    assert module == "verifier.pytest_plugin"
    assert "--dsic-seed" in help_text()
    assert "--dsic-seed" not in help_text(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")


def test_help_groups_the_options_under_one_dsic_heading(pytester):
    result = pytester.runpytest(*plugin_args(), "--help")

    text = result.stdout.str()
    heading = text.index("dsic: DSIC checks of mechanisms")
    for option in ("--dsic-seed", "--dsic-budget", "--dsic-engine",
                   "--dsic-timeout", "--dsic-call-timeout",
                   "--dsic-certificates"):
        assert text.index(option) > heading


@pytest.mark.parametrize("option, named", [
    (["--dsic-budget", "0"], "--dsic-budget 0"),
    (["--dsic-timeout", "-1"], "--dsic-timeout -1"),
    (["--dsic-call-timeout", "0"], "--dsic-call-timeout 0"),
    (["--dsic-engine", "fast"], "invalid choice: 'fast'"),
])
def test_a_bad_option_is_a_usage_error_naming_it(pytester, option, named):
    result = pytester.runpytest(*plugin_args(), *option)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert named in result.stderr.str()


def test_the_marker_is_registered(pytester):
    result = pytester.runpytest(*plugin_args(), "--markers")

    result.stdout.fnmatch_lines(["@pytest.mark.dsic(target, groups=*"])


def test_the_plugin_hands_out_the_hypothesis_strategies():
    from verifier import pytest_plugin, strategies

    for name in ("shapes", "profiles", "misreports"):
        assert getattr(pytest_plugin, name) is getattr(strategies, name)


def test_assert_dsic_is_an_attribute_of_the_package():
    from verifier.assertions import assert_dsic

    assert verifier.assert_dsic is assert_dsic
    with pytest.raises(AttributeError, match="no attribute 'assert_dsc'"):
        verifier.assert_dsc


# ---------------------------------------------------------- assert_dsic

def test_a_user_test_asserting_vickrey_passes(pytester):
    pytester.makepyfile(test_user=f"""
        from verifier import assert_dsic

        def test_vickrey_is_dsic():
            assert_dsic("vickrey", groups=(1, 1, 1), {QUICK})
    """)

    result = pytester.runpytest(*plugin_args())

    result.assert_outcomes(passed=1)


def test_a_user_test_asserting_first_price_fails_with_the_witness(pytester):
    pytester.makepyfile(test_user=f"""
        from verifier import assert_dsic

        def test_first_price_is_dsic():
            assert_dsic("first-price", {QUICK})
    """)

    result = pytester.runpytest(*plugin_args())

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*first-price is not DSIC on groups (1, 1, 1)*values in [[]0, 10]",
        "*who  *member * of group *",
        "*true value  *",
        "*misreport  *",
        "*gain  *",
        f"*certificate: {pytester.path / 'dsic-certificates'}*.json",
    ])
    assert list((pytester.path / "dsic-certificates").glob("*.json"))


def test_assert_dsic_returns_a_proof_for_vickrey():
    verdict = verifier.assert_dsic("vickrey", budget=2000, timeout=20)

    assert verdict.verified


def test_a_plain_callable_is_proved_by_reading_its_code():
    verdict = verifier.assert_dsic(second_price, groups=(1, 1),
                                   budget=2000)

    assert verdict.status == VERIFIED


def test_a_plain_callable_passes_on_sampling_alone_when_asked():
    verdict = verifier.assert_dsic(second_price, groups=(1, 1),
                                   budget=2000, engine="sample")

    assert verdict.status == NONE_FOUND


def test_a_failure_carries_the_witness_and_its_certificate(tmp_path):
    with pytest.raises(DsicViolation) as raised:
        verifier.assert_dsic("first-price", budget=2000, timeout=20,
                             certificate_dir=tmp_path)

    violation = raised.value
    witness = violation.verdict.witness
    assert violation.verdict.status == REFUTED
    assert witness.gain > 0
    assert Path(violation.certificate_path).parent == tmp_path
    assert checker.check_file(violation.certificate_path).ok
    assert str(violation) == describe_failure(violation.verdict,
                                              violation.certificate_path)
    assert str(violation).endswith(
        f"re-check it with: dsic verify-cert "
        f"{shlex.quote(violation.certificate_path)}")


def test_the_failure_table_names_the_deviator_in_exact_numbers(tmp_path):
    with pytest.raises(DsicViolation) as raised:
        verifier.assert_dsic("first-price", budget=2000, timeout=20,
                             certificate_dir=tmp_path)

    w = raised.value.verdict.witness
    rows = dict(line.strip().split("  ", 1)
                for line in str(raised.value).splitlines()[2:5])
    assert rows["who"].strip() == f"member {w.member + 1} of group " \
                                  f"{w.group + 1}"
    assert rows["true value"].strip() == str(w.value)
    assert rows["misreport"].strip() == str(w.misreport)


def test_a_plain_callable_that_never_returns_is_stopped_in_time():
    with pytest.raises(MechanismError, match=r"never_returns did not "
                       r"return within 0.2 s at profile .*call_timeout="):
        verifier.assert_dsic(never_returns, call_timeout=0.2,
                             engine="sample", budget=10)


def test_the_call_timeout_option_reaches_every_check(pytester):
    pytester.makepyfile(test_loop="""
        from verifier import assert_dsic

        def never_returns(profile):
            while True:
                pass

        def test_never_returns():
            assert_dsic(never_returns, engine="sample", budget=10)
    """)

    result = pytester.runpytest(*plugin_args(), "--dsic-call-timeout",
                                "0.2")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*did not return within 0.2 s*"])


def test_without_groups_a_plain_callable_has_two_single_bidders():
    verdict = verifier.assert_dsic(second_price, budget=200)

    assert verdict.shape.groups == (1, 1)


def test_a_value_box_that_is_not_numbers_is_refused():
    with pytest.raises(InvalidArgument, match="max_value"):
        verifier.assert_dsic("vickrey", max_value="ten")


# --------------------------------------------------------------- marker

def test_the_marker_checks_plain_mechanisms_from_another_file(pytester):
    pytester.makepyfile(auctions=AUCTIONS)
    pytester.makepyfile(test_auctions=f"""
        import pytest

        import auctions

        @pytest.mark.dsic("auctions:second_price", groups=(1, 1), {QUICK})
        def test_second_price_is_dsic():
            pass

        @pytest.mark.dsic(auctions.first_price, groups=(1, 1), {QUICK})
        def test_first_price_is_dsic():
            pass

        @pytest.mark.dsic("auctions.py:first_price", groups=(1, 1), {QUICK})
        def test_first_price_by_path_is_dsic():
            pass
    """)

    result = pytester.runpytest(*plugin_args())

    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_first_price_is_dsic _*",
        "first_price is not DSIC on groups (1, 1)*",
        "*who  *member * of group *",
    ])
    written = list((pytester.path / "dsic-certificates").glob("*.json"))
    assert written
    assert all(checker.check_file(str(path)).ok for path in written)


def test_the_marker_runs_after_the_test_body(pytester):
    pytester.makepyfile(test_body=f"""
        import pytest

        @pytest.mark.dsic("vickrey", {QUICK})
        def test_body_fails_first():
            assert 1 == 2
    """)

    result = pytester.runpytest(*plugin_args())

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])


@pytest.mark.parametrize("arguments, named", [
    ('"vickrey", group=(1, 1)', "unknown keyword 'group'"),
    ('"vickrey", groups=(0, 1)', "group size 0 in groups=(0, 1)"),
    ('"vickery"', "no catalogue entry named 'vickery'"),
    ('"vickrey", groups=(2, 1)', "needs groups of one member"),
    ('"vickrey", engine="fast"', "engine='fast'"),
    ("", "give exactly one mechanism"),
])
def test_a_bad_marker_is_a_usage_error_naming_it(pytester, arguments,
                                                 named):
    pytester.makepyfile(test_bad=f"""
        import pytest

        @pytest.mark.dsic({arguments})
        def test_check():
            pass
    """)

    result = pytester.runpytest(*plugin_args())

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert "test_bad.py::test_check: @pytest.mark.dsic:" in errors
    assert named in errors


# -------------------------------------------------- options and summary

def test_the_summary_lists_each_check_with_its_verdict(pytester):
    pytester.makepyfile(test_two=f"""
        import pytest
        from verifier import assert_dsic

        def test_vickrey():
            assert_dsic("vickrey", {QUICK})

        @pytest.mark.dsic("first-price", {QUICK})
        def test_first_price():
            pass
    """)

    result = pytester.runpytest(*plugin_args())

    result.stdout.fnmatch_lines([
        "*= dsic checks =*",
        "vickrey *groups (1, 1, 1)*[[]0, 10]*verified*s",
        "first-price *groups (1, 1, 1)*[[]0, 10]*refuted*s",
    ])


def test_the_engine_option_reaches_every_check(pytester):
    pytester.makepyfile(test_engine="""
        from verifier import assert_dsic

        def test_vickrey():
            assert not assert_dsic("vickrey", budget=500).verified
    """)

    result = pytester.runpytest(*plugin_args(), "--dsic-engine", "sample")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["vickrey *no counterexample found (sampling only)*"])


def test_the_certificates_option_moves_the_certificates(pytester):
    pytester.makepyfile(test_cert=f"""
        from verifier import assert_dsic

        def test_first_price():
            assert_dsic("first-price", {QUICK})
    """)

    result = pytester.runpytest(*plugin_args(), "--dsic-certificates",
                                "evidence")

    result.assert_outcomes(failed=1)
    assert list((pytester.path / "evidence").glob("first-price-*.json"))
    assert not (pytester.path / "dsic-certificates").exists()


def test_a_marker_whose_check_cannot_run_fails_with_the_reason(pytester):
    pytester.makepyfile(test_box="""
        import pytest

        @pytest.mark.dsic("vickrey", min_value=5, max_value=1)
        def test_check():
            pass
    """)

    result = pytester.runpytest(*plugin_args())

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "@pytest.mark.dsic could not check vickrey: InvalidArgument: "
        "value box [[]5, 1] *"])


# --------------------------------------------------------------- README

def readme_example():
    """The test file and the output the README's pytest section shows."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## In your tests"):]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("```\n$ ", 1)[1].split("```", 1)[0]
    command, *output = shown.splitlines()
    return code, command, output


def as_pattern(line):
    """A line of shown output as an fnmatch pattern: paths, hashes and
    times vary from run to run."""
    line = line.replace("[", "[[]")
    line = re.sub(r"/\S*/dsic-certificates/", "*/dsic-certificates/", line)
    line = re.sub(r"-[0-9a-f]{10}\.json", "-*.json", line)
    # pytest cuts the short summary to the terminal's width, but not in CI
    line = re.sub(r"^(FAILED \S+ - ).*", r"\1*", line)
    return re.sub(r"\d+\.\d+ ?s\b", "*", line)


def test_the_readme_example_prints_what_the_readme_shows(pytester):
    code, command, output = readme_example()
    pytester.makepyfile(test_auctions=code)

    assert command == "python -m pytest -q test_auctions.py"
    result = pytester.runpytest(*plugin_args(), "-q", "test_auctions.py")

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([as_pattern(line) for line in output
                                 if line.strip()])
