"""The `dsic` command as a user runs it: `python -m verifier ...` in a
subprocess, with mechanisms from the catalogue and from files."""

import json
import os
import sys
import textwrap
from fractions import Fraction

import pytest

import mechanisms
from command import finish, start
from verifier import cli, guard, sampling

RULES = textwrap.dedent('''
    """Mechanisms a user might write, with plain ifs."""

    import sys


    def _winner(bids):
        best = 0
        for j, b in enumerate(bids):
            if b > bids[best]:
                best = j
        return best


    def first_price(profile):
        """The highest bid wins and pays its bid."""
        bids = [group[0] for group in profile]
        w = _winner(bids)
        return ([[j == w] for j in range(len(bids))],
                [[bids[j] if j == w else 0] for j in range(len(bids))])


    def vickrey(profile):
        """The highest bid wins and pays the highest other bid."""
        bids = [group[0] for group in profile]
        w = _winner(bids)
        price = max(b for j, b in enumerate(bids) if j != w)
        return ([[j == w] for j in range(len(bids))],
                [[price if j == w else 0] for j in range(len(bids))])


    def two_arguments(profile, reserve):
        return vickrey(profile)


    def crashes(profile):
        raise ValueError("no bids accepted")


    def pays_negative(profile):
        return [[False] for group in profile], [[-1] for group in profile]


    def never_returns(profile):
        while True:
            try:
                pass
            except Exception:
                pass


    def exits(profile):
        sys.exit(0)


    def chatty(profile):
        print("chatty looks at", profile)
        return vickrey(profile)


    def pays_nan(profile):
        return [[True], [False]], [[float("nan")], [0]]


    def access_yes(profile):
        return [["yes"], [False]], [[0], [0]]


    def floats_a_bid(profile):
        bid = float(profile[0][0])
        return [[bid > 5], [False]], [[0], [0]]
''')


def dsic(*argv, cwd):
    return finish(start(*argv, cwd=cwd))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli")
    (path / "rules.py").write_text(RULES)
    (path / "exits_on_import.py").write_text(
        "import sys\nsys.exit(3)\n\ndef rule(profile):\n    pass\n")
    (path / "notes.json").write_text("{}")
    (path / "no file").mkdir()
    return path


# ---------------------------------------------------------- bad input

BAD_MECHANISMS = {
    "missing file": (["check", "nothere.py:auction"], "no file 'nothere.py'"),
    "missing function": (["check", "rules.py:auction"],
                         "rules.py has no 'auction'"),
    "wrong signature": (["check", "rules.py:two_arguments"],
                        "cannot be called with one positional profile"),
    "shape the mechanism rejects": (["check", "vickrey", "--groups", "2,2"],
                                    "needs groups of one member"),
    "mechanism raises": (["check", "rules.py:crashes"],
                         "raised ValueError: no bids accepted at profile "
                         "[0; 0]"),
    "infeasible outcome": (["check", "rules.py:pays_negative"],
                           "payment of member 1 of group 1 is -1"),
    "mechanism calls sys.exit": (
        ["check", "rules.py:exits"],
        "exits called sys.exit(0) at profile [0; 0]"),
    "file calls sys.exit on import": (
        ["check", "exits_on_import.py:rule"],
        "importing exits_on_import.py called sys.exit(3) at line 2"),
    "mechanism never returns": (
        ["check", "rules.py:never_returns", "--call-timeout", "0.3"],
        "never_returns did not return within 0.3 s at profile [0; 0]"),
    "unknown catalogue name": (["check", "vickery"], "did you mean vickrey"),
    "no certificate": (["verify-cert", "nothere.json"],
                       "no certificate at 'nothere.json'"),
    "inverted box": (["check", "vickrey", "--min-value", "5",
                      "--max-value", "2"], "the value box is empty"),
    "unknown option": (["check", "vickrey", "--fast"],
                       "unrecognized arguments: --fast"),
}

BAD_OPTIONS = {
    "group of zero": (["check", "vickrey", "--groups", "1,0"],
                      "--groups 1,0: every group has at least 1 member"),
    "groups not numbers": (["check", "vickrey", "--groups", "two"],
                           "give whole group sizes separated by commas"),
    "negative max value": (["check", "vickrey", "--max-value", "-1"],
                           "--max-value -1: must be above 0"),
    "max value not a number": (["check", "vickrey", "--max-value", "ten"],
                               "--max-value 'ten' is not a number"),
    "zero samples": (["check", "vickrey", "--samples", "0"],
                     "--samples 0: must be at least 1"),
    "negative samples": (["check", "vickrey", "--samples", "-5"],
                         "--samples -5: must be at least 1"),
    "samples not a number": (["check", "vickrey", "--samples", "many"],
                             "--samples 'many' is not a whole number"),
    "zero timeout": (["check", "vickrey", "--timeout", "0"],
                     "--timeout 0: give a positive"),
    "zero margin": (["check", "vickrey", "--margin", "0"],
                    "--margin 0: must be above 0"),
    "items without a class": (["check", "vickrey", "--items", "2"],
                              "add --valuation additive"),
    "report suffix": (["check", "vickrey", "--report", "out.txt"],
                      "name it .md for Markdown or .html"),
    "report folder": (["check", "vickrey", "--report", "no/such/r.md"],
                      "no folder"),
    "no target": (["check"], "required: TARGET"),
}


BAD_FILES = {
    "payment is nan": (["check", "rules.py:pays_nan"],
                       "payment of member 1 of group 1 is nan: it must be "
                       "an exact number"),
    "access is a string": (["check", "rules.py:access_yes"],
                           "access of member 1 of group 1 is 'yes': access "
                           "must be a bool or a set of item indices"),
    "certificate is a folder": (["verify-cert", "no file"],
                                "'no file' is a folder, not a certificate"),
    "target file is not Python": (["check", "notes.json:rule"],
                                  "'notes.json' is not a Python file"),
    "target file is a folder": (["check", "no file:rule"],
                                "'no file' is a folder, not a Python file"),
    "absolute path missing": (["check", "/no/such/folder/rules.py:rule"],
                              "no file '/no/such/folder/rules.py': give"),
}


@pytest.fixture(scope="module")
def bad_runs(folder):
    """Every bad mechanism at once, each in its own process."""
    started = {name: start(*argv, cwd=folder)
               for name, (argv, _) in BAD_MECHANISMS.items()}
    return {name: finish(process) for name, process in started.items()}


def _one_line_error(code, out, err, expected):
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("dsic: error: ")
    assert expected in err
    assert out == ""


@pytest.mark.parametrize("case", list(BAD_MECHANISMS))
def test_bad_mechanism_is_one_line_and_exit_2(case, bad_runs):
    _one_line_error(*bad_runs[case], BAD_MECHANISMS[case][1])


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_or_outcome_is_one_line_and_exit_2(case, folder, capsys,
                                                    monkeypatch):
    """In-process, in the folder holding the files."""
    argv, expected = BAD_FILES[case]
    monkeypatch.chdir(folder)

    code = cli.main(argv)

    out, err = capsys.readouterr()
    _one_line_error(code, out, err, expected)


def test_sys_exit_inside_a_command_is_an_error_not_the_exit_code(
        monkeypatch, capsys):
    def exits(args):
        sys.exit(0)
    monkeypatch.setattr(cli, "run_list", exits)

    code = cli.main(["list"])

    out, err = capsys.readouterr()
    _one_line_error(code, out, err, "sys.exit(0) at test_cli.py:")


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_bad_option_is_one_line_and_exit_2(case, capsys):
    """In-process: the same main() the console script runs, without the
    cost of starting Python once per option."""
    argv, expected = BAD_OPTIONS[case]

    code = cli.main(argv)

    out, err = capsys.readouterr()
    _one_line_error(code, out, err, expected)


def test_debug_adds_the_traceback(folder):
    code, _, err = dsic("check", "rules.py:crashes", "--debug", cwd=folder)

    assert code == 2
    assert "Traceback" in err and "no bids accepted" in err


def test_a_failed_check_loses_no_file_already_written(folder, tmp_path):
    report, cert = tmp_path / "r.html", tmp_path / "c.json"
    report.write_text("kept report")
    cert.write_text("kept certificate")

    code, _, _ = dsic("check", "rules.py:crashes", "--report", str(report),
                      "--certificate", str(cert), cwd=folder)

    assert code == 2
    assert report.read_text() == "kept report"
    assert cert.read_text() == "kept certificate"
    assert sorted(os.listdir(tmp_path)) == ["c.json", "r.html"]


# -------------------------------------------------------------- checks

@pytest.fixture(scope="module")
def first_price(folder):
    """`dsic check first-price` with a certificate, a report and JSON."""
    text = start("check", "first-price", "-v", "--certificate", "fp.json",
                 "--report", "fp.html", cwd=folder)
    as_json = start("check", "first-price", "--json", cwd=folder)
    return finish(text), finish(as_json)


def test_catalogue_check_prints_the_refutation_and_exits_1(first_price):
    code, out, err = first_price[0]

    assert code == 1, err
    lines = out.splitlines()
    assert lines[0] == "REFUTED: first-price is not DSIC"
    assert lines[1].startswith("member ") and " by bidding " in lines[1]
    assert "with the misreport" in out and "its utility" in out
    assert "tie rule  ties go to the lowest-numbered group" in out
    assert "stopped: " in out
    assert err == ""


def test_verbose_check_lists_phases_with_counts_and_times(first_price):
    _, out, _ = first_price[0]

    phases = out[out.index("\nphases\n"):]
    assert "sampling" in phases and "misreports" in phases
    assert " s " in phases


def test_json_output_is_the_verdict_in_exact_numbers(first_price):
    code, out, _ = first_price[1]

    data = json.loads(out)
    assert code == 1 and data["verdict"] == "refuted"
    w = data["witness"]
    assert Fraction(w["utilities"]["deviated"]) - Fraction(
        w["utilities"]["truthful"]) == Fraction(w["gain"]) > 0
    assert data["certificate"]["verdict"] == "refuted"


def test_written_certificate_passes_the_checker_and_a_forgery_fails(
        first_price, folder):
    assert dsic("verify-cert", "fp.json", cwd=folder)[0] == 0
    cert = json.loads((folder / "fp.json").read_text())
    cert["evidence"]["gain"] = str(Fraction(cert["evidence"]["gain"]) + 1)
    (folder / "forged.json").write_text(json.dumps(cert))

    code, out, _ = dsic("verify-cert", "forged.json", cwd=folder)

    assert code == 1
    assert "gain" in out


def test_report_from_a_certificate_is_written(first_price, folder):
    assert (folder / "fp.html").read_text().count("<svg") == 1

    code, out, err = dsic("report", "fp.json", "-o", "again.md", cwd=folder)

    assert code == 0, err
    text = (folder / "again.md").read_text()
    assert "REFUTED: first-price is not DSIC" in text
    assert "![utility plot](again.svg)" in text
    assert (folder / "again.svg").exists()


def test_a_file_mechanism_is_refuted_proved_or_only_sampled(folder):
    refuted = start("check", "rules.py:first_price", "--samples", "300",
                    cwd=folder)
    proved = start("check", "rules.py:vickrey", "--samples", "300",
                   cwd=folder)
    sampled = start("check", "rules.py:vickrey", "--samples", "300",
                    "--engine", "sample", cwd=folder)

    code, out, err = finish(refuted)
    assert code == 1, err
    assert out.startswith("REFUTED: first_price is not DSIC")
    code, out, err = finish(proved)
    assert code == 0, err
    assert out.startswith("VERIFIED: vickrey is DSIC on this domain")
    assert "read by symbolic execution" in " ".join(out.split())
    code, out, err = finish(sampled)
    assert code == 0, err
    assert out.startswith("NO COUNTEREXAMPLE FOUND: vickrey showed no "
                          "profitable misreport when sampled")
    assert "sampling only, not a proof" in out
    assert "verified" not in out.lower()


def test_json_stays_json_when_the_mechanism_prints(folder, capsys,
                                                  monkeypatch):
    monkeypatch.chdir(folder)

    code = cli.main(["check", "rules.py:chatty", "--json", "--engine",
                     "sample", "--samples", "20"])

    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["verdict"] == "no counterexample found"
    assert "chatty looks at" in err


def test_a_plain_mechanism_asked_for_more_samples_says_it_was_capped(
        folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    monkeypatch.setattr(sampling, "PLAIN_BUDGET", 30)

    code = cli.main(["check", "rules.py:vickrey", "--json", "--engine",
                     "sample", "--samples", "100"])

    data = json.loads(capsys.readouterr().out)
    (phase,) = [p for p in data["phases"] if p["name"] == "sampling"]
    assert code == 0
    assert phase["counts"]["budget_capped_at"] == 30
    assert phase["counts"]["misreports"] == 30


def test_a_float_of_a_bid_is_named_at_the_line_of_the_users_file(
        folder, capsys, monkeypatch):
    line = next(n for n, text in enumerate(RULES.splitlines(), 1)
                if "float(profile" in text)
    monkeypatch.chdir(folder)

    cli.main(["check", "rules.py:floats_a_bid", "--engine", "smt"])

    out = " ".join(capsys.readouterr().out.split())
    assert f"float() at rules.py:{line}" in out
    assert "guard.py" not in out


def test_a_proof_exits_0_and_a_solver_that_gives_up_exits_3(folder):
    proved = start("check", "vickrey", "--engine", "smt", cwd=folder)
    gave_up = start("check", "mechanism-2", "--engine", "smt", "--timeout",
                    "0.001", cwd=folder)

    code, out, err = finish(proved)
    assert code == 0, err
    assert out.startswith("VERIFIED: vickrey is DSIC on this domain")
    code, out, err = finish(gave_up)
    assert code == 3, err
    assert out.startswith("UNKNOWN: whether mechanism-2 is DSIC is "
                          "undecided")
    assert "raise --timeout" in " ".join(out.split())


# ------------------------------------------------------- list and show

def test_list_shows_one_line_per_entry(folder):
    code, out, _ = dsic("list", cwd=folder)

    lines = out.splitlines()
    assert code == 0
    assert [line.split()[0] for line in lines] == list(mechanisms.CATALOGUE)
    assert all("claims: " in line and "; dsic found: " in line for line in lines)


def test_list_says_not_yet_checked_without_a_record(monkeypatch, capsys):
    monkeypatch.setattr(cli, "established", lambda name: None)

    assert cli.main(["list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert all(line.endswith("dsic found: not yet checked") for line in lines)


def test_list_shows_what_dsic_established(monkeypatch, capsys):
    record = {"verdict": "refuted", "robust": True, "results": []}
    monkeypatch.setattr(cli, "established",
                        lambda name: record if name == "appendix-a" else None)

    assert cli.main(["list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    line = next(line for line in lines if line.startswith("appendix-a "))
    assert line.endswith("claims: not DSIC; dsic found: DSIC refuted (robust)")


def test_show_prints_the_definition(folder):
    code, out, _ = dsic("show", "appendix-a", cwd=folder)

    assert code == 0
    assert out.startswith("appendix-a: ")
    for fact in ("claims: not DSIC", "tie rule: welfare ties go to",
                 "default shape: groups (2, 1), 2 items, unit-demand",
                 "--groups 2,1 --items 2 --valuation unit-demand",
                 "VCG over group bids", "source: Bahrani"):
        assert fact in out


def test_help_documents_the_exit_codes(capsys):
    assert cli.main(["check", "--help"]) == 0

    out = capsys.readouterr().out
    for code in ("0  no counterexample", "1  refuted", "2  usage",
                 "3  unknown"):
        assert code in out


# --------------------------------------------------------------- units

def test_a_call_time_limit_is_not_swallowed_by_the_mechanism():
    def stubborn(profile):
        while True:
            try:
                pass
            except Exception:
                pass
    from verifier.mechanism import plain
    from verifier.model import Shape

    limited = guard.time_limited(plain(stubborn), 0.05)

    with pytest.raises(guard.CallTimedOut, match="within 0.05 s at profile"):
        limited.outcome(Shape((1, 1)), [[1], [2]])


def test_shape_options_override_the_entry_shape():
    args = cli.parser().parse_args(["check", "appendix-a", "--groups",
                                    "3,1"])

    shape = cli.shape_for(args, mechanisms.CATALOGUE["appendix-a"])

    assert shape.groups == (3, 1) and shape.items == 2
    assert shape.valuation == "unit-demand"


def test_a_file_target_defaults_to_two_lone_bidders_and_one_item():
    args = cli.parser().parse_args(["check", "rules.py:vickrey"])

    shape = cli.shape_for(args, None)

    assert (shape.groups, shape.items, shape.valuation) == (
        (1, 1), 1, "single")


def test_verify_cert_proves_a_plain_mechanism_again(tmp_path):
    (tmp_path / "rules.py").write_text(
        "def second_price(profile):\n"
        "    bids = [group[0] for group in profile]\n"
        "    top = 0 if bids[0] >= bids[1] else 1\n"
        "    price = bids[1 - top]\n"
        "    return ([[top == 0], [top == 1]],\n"
        "            [[price if top == 0 else 0], [price if top == 1 else 0]])\n")
    checked = dsic("check", "rules.py:second_price", "--certificate",
                   "proof.json", cwd=tmp_path)

    code, out, err = dsic("verify-cert", "proof.json", cwd=tmp_path)

    assert checked[0] == 0
    assert code == 0, err
    assert "2 of 2 fresh queries unsat" in out
