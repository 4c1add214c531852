"""The independent checker: genuine certificates pass, edited ones fail
and name the field."""

import ast
import copy
import importlib.util
import json
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verifier.checker
from mechanisms import CATALOGUE
from verifier import certificate
from verifier.checker import check_certificate, check_file
from verifier.loading import load_target
from verifier.model import Shape, utility
from verifier.strategies import misreports, numbers, profiles
from verifier.verdict import (
    NONE_FOUND, REFUTED, UNKNOWN, VERIFIED, Box, Phase, Verdict, Witness,
)

BOX = Box(Fraction(0), Fraction(10))


def witness(mechanism, shape, profile, j, i, misreport, robust=None,
            margin=None):
    """A deviation evaluated by hand on exact numbers."""
    values = tuple(tuple(group) for group in profile)
    bids = [list(group) for group in values]
    bids[j][i] = misreport
    truthful = mechanism.outcome(shape, values)
    deviated = mechanism.outcome(shape, bids)
    return Witness(j, i, values, misreport, truthful, deviated,
                   utility(shape, values, truthful, j, i),
                   utility(shape, values, deviated, j, i), robust, margin)


def refutation(name, shape, profile, j, i, misreport, box=BOX, **label):
    mechanism = CATALOGUE[name].mechanism
    found = witness(mechanism, shape, profile, j, i, misreport, **label)
    verdict = Verdict(REFUTED, name, shape, box, mechanism.tie_rule,
                      witness=found, stop_reason="stopped: found by hand")
    return certificate.from_verdict(verdict, name)


def first_price():
    """Bidder 1 of first-price, value 3 against 1, gains 1 by bidding 2."""
    return refutation("first-price", Shape((1, 1)),
                      [[Fraction(3)], [Fraction(1)]], 0, 0, Fraction(2),
                      robust=True, margin=Fraction(1, 100))


def appendix_a():
    """Appendix A with epsilon = 1: member 2 of group 1 is priced out and
    gains by a bid that makes its group win item 2."""
    f = Fraction
    values = [[(f(12), f(0)), (f(4), f(1))], [(f(10), f(1))]]
    return refutation("appendix-a", CATALOGUE["appendix-a"].shape, values,
                      0, 1, (f(0), f(10)), box=Box(f(0), f(12)))


def edited(cert, path, value):
    """A copy of ``cert`` with the field at ``path`` set to ``value``."""
    cert = copy.deepcopy(cert)
    *parents, last = path
    target = cert
    for key in parents:
        target = target[key]
    target[last] = value
    return cert


# --------------------------------------------------------- genuine ones

def test_a_genuine_first_price_refutation_passes():
    report = check_certificate(first_price())

    assert report.ok, report.problems
    assert "gains 1 by bidding 2" in report.summary


def test_a_genuine_multi_item_refutation_passes():
    report = check_certificate(appendix_a())

    assert report.ok, report.problems
    assert "member 2 of group 1" in report.summary


def test_an_edit_that_keeps_the_witness_true_is_accepted():
    cert = edited(first_price(), ("evidence", "profile", 1, 0), "1/2")

    report = check_certificate(cert)

    assert report.ok, report.problems


def test_a_deviation_without_a_gain_is_refused():
    cert = refutation("first-price", Shape((1, 1)),
                      [[Fraction(3)], [Fraction(1)]], 0, 0, Fraction(3))

    report = check_certificate(cert)

    assert not report.ok
    assert "a witness needs a gain above 0" in report.problems[0]


# ----------------------------------------------------------- edited ones

@pytest.mark.parametrize("path, value, named", [
    (("evidence", "gain"), "3/2",
     "evidence.gain: certificate says 3/2, exact re-evaluation gives 1"),
    (("evidence", "misreport"), "3/2", "bidding 3/2 (evidence.misreport)"),
    (("evidence", "truthful", "payments"), [["2"], ["0"]],
     "evidence.truthful.payments"),
    (("evidence", "deviated", "charges"), ["5/2", "0"],
     "evidence.deviated.charges"),
    (("evidence", "utilities", "truthful"), "-1",
     "evidence.utilities.truthful"),
    (("mechanism", "source_sha256"), "0" * 64, "mechanism.source_sha256"),
    (("evidence", "profile"), [["11"], ["1"]],
     "evidence.profile[0][0]: 11 lies outside the domain [0, 10]"),
    (("evidence", "misreport"), "12",
     "evidence.misreport: 12 lies outside the domain"),
    (("evidence", "group"), 2,
     "member 1 of group 2 (evidence.member, evidence.group)"),
    (("evidence", "group"), 3,
     "evidence.group is 3: expected a group from 1 to 2"),
    (("evidence", "member"), 0, "evidence.member is 0"),
    (("evidence", "gain"), 1, "evidence.gain is 1: expected an exact"),
    (("evidence", "robust"), "yes", "evidence.robust"),
    (("evidence", "kind"), "smt", "evidence.kind"),
    (("domain", "high"), "2", "evidence.profile[0][0]: 3 lies outside"),
    (("shape", "groups"), [1, 1, 1], "evidence.profile"),
    (("mechanism", "tie_rule"), "ties go to the highest bidder",
     "mechanism.tie_rule"),
    (("mechanism", "target"), "first-prize", "mechanism.target"),
    (("claim", "statement"), "first-price is DSIC", "claim.statement"),
    (("claim", "property"), "fairness", "claim.property"),
    (("verdict",), "verified", "evidence.kind"),
    (("format",), "something-else", "format"),
    (("version",), 2, "version is 2"),
])
def test_an_edited_field_is_named(path, value, named):
    cert = edited(first_price(), path, value)

    report = check_certificate(cert)

    assert not report.ok
    assert named in report.problems[0]
    assert report.summary.startswith("certificate rejected: ")


def test_an_unknown_field_is_a_problem():
    cert = edited(first_price(), ("evidence", "comment"), "trust me")

    report = check_certificate(cert)

    assert report.problems == [
        "evidence.comment: unknown field; a certificate of version 1 has "
        "kind, group, member, profile, misreport, truthful, deviated, "
        "utilities, gain, robust, margin"]


def test_a_missing_field_is_a_problem():
    cert = first_price()
    del cert["evidence"]["deviated"]

    report = check_certificate(cert)

    assert report.problems == ["evidence.deviated is missing"]


def test_a_payment_edited_in_a_multi_item_certificate_is_named():
    cert = appendix_a()
    cert["evidence"]["deviated"]["payments"][1][0] = "1"

    report = check_certificate(cert)

    assert report.problems[0].startswith(
        "evidence.deviated.payments: certificate says [[0, 0], [1]]")


OUTPUTS = [("gain",), ("utilities", "truthful"), ("utilities", "deviated"),
           ("truthful", "charges", 0), ("truthful", "payments", 0, 0),
           ("deviated", "charges", 0), ("deviated", "payments", 0, 0)]
INPUTS = [("misreport",), ("profile", 0, 0)]


@settings(max_examples=60)
@given(where=st.sampled_from(OUTPUTS + INPUTS), number=numbers(0, 10))
def test_any_edit_of_a_deciding_number_is_caught(where, number):
    cert = first_price()
    path = ("evidence",) + where
    if Fraction(_at(cert, path)) == number:
        number += 1

    report = check_certificate(edited(cert, path, str(number)))

    assert not report.ok
    assert report.problems[0].startswith("evidence.")


def _at(data, path):
    for key in path:
        data = data[key]
    return data


# ---------------------------------------- agreement with exact evaluation

MECHANISM_FOR = {"single": "mechanism-1", "additive": "mechanism-2",
                 "unit-demand": "appendix-a"}


@st.composite
def deviations(draw):
    valuation = draw(st.sampled_from(sorted(MECHANISM_FOR)))
    groups = tuple(draw(st.lists(st.integers(1, 2), min_size=1,
                                 max_size=3)))
    items = 1 if valuation == "single" else 2
    shape = Shape(groups, items, valuation)
    j, i = draw(st.sampled_from(shape.members()))
    profile = draw(profiles(shape, 0, 10))
    misreport = draw(misreports(shape, 0, 10))
    return MECHANISM_FOR[valuation], shape, profile, j, i, misreport


@settings(max_examples=40)
@given(deviations())
def test_the_checker_accepts_exactly_the_profitable_deviations(case):
    name, shape, profile, j, i, misreport = case
    cert = refutation(name, shape, profile, j, i, misreport)

    report = check_certificate(cert)

    assert report.ok == (Fraction(cert["evidence"]["gain"]) > 0)


# ------------------------------------------------------------- robustness

def fake_ties(tmp_path, monkeypatch, body):
    """Install a stand-in verifier.ties written to a file of its own."""
    path = tmp_path / "ties.py"
    path.write_text(textwrap.dedent(body))
    spec = importlib.util.spec_from_file_location("verifier.ties", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "verifier.ties", module)


def test_a_robust_label_is_refused_when_the_gap_is_below_the_margin(
        tmp_path, monkeypatch):
    fake_ties(tmp_path, monkeypatch, """\
        from fractions import Fraction

        def min_gap(mechanism, shape, profile):
            return Fraction(0)
        """)

    report = check_certificate(first_price())

    assert "evidence.robust: certificate says true" in report.problems[0]


def test_a_robust_label_is_re_checked_when_the_gap_suffices(tmp_path,
                                                            monkeypatch):
    fake_ties(tmp_path, monkeypatch, """\
        from fractions import Fraction

        def min_gap(mechanism, shape, profile):
            return Fraction(1)
        """)

    report = check_certificate(first_price())

    assert report.ok
    assert "robust at margin 1/100 (smallest gap 1)" in report.summary


def test_a_min_gap_that_calls_a_solver_is_not_trusted(tmp_path,
                                                      monkeypatch):
    fake_ties(tmp_path, monkeypatch, """\
        import z3

        def min_gap(mechanism, shape, profile):
            return 0 if z3.Solver().check() == z3.sat else 1
        """)

    report = check_certificate(first_price())

    assert report.ok
    assert "not re-checked" in report.summary


def test_without_min_gap_the_robust_label_is_said_not_re_checked(
        monkeypatch):
    monkeypatch.setitem(sys.modules, "verifier.ties", None)

    report = check_certificate(first_price())

    assert report.ok
    assert "labelled robust at margin 1/100, not re-checked" in (
        report.summary)
    assert any("not re-checked" in note for note in report.notes)


# ----------------------------------------------------------------- proofs

def proof(margin=None):
    name, shape = "vickrey", Shape((1, 1))
    mechanism = CATALOGUE[name].mechanism
    answers = [SimpleNamespace(group=j, member=i, status="unsat",
                               margin=margin,
                               smtlib="(declare-const b Real)\n(check-sat)")
               for j, i in shape.members()]
    verdict = Verdict(VERIFIED, name, shape, BOX, mechanism.tie_rule,
                      proof=answers, stop_reason="stopped: proved")
    return certificate.from_verdict(verdict, name)


def test_a_proof_certificate_is_checked_for_form_and_says_what_it_rests_on():
    report = check_certificate(proof())

    assert report.ok, report.problems
    assert "rests on the kept SMT-LIB queries" in report.summary


def test_a_proof_away_from_ties_says_so():
    report = check_certificate(proof(margin=Fraction(1, 100)))

    assert report.ok
    assert "away from ties only (margin 1/100)" in report.summary


def test_a_proof_missing_a_member_is_refused():
    cert = proof()
    del cert["evidence"]["queries"][1]

    report = check_certificate(cert)

    assert "no query for member 1 of group 2" in report.problems[0]


def test_a_proof_with_a_query_that_was_not_unsat_is_refused():
    cert = edited(proof(), ("evidence", "queries", 0, "result"), "unknown")

    report = check_certificate(cert)

    assert "evidence.queries[0].result" in report.problems[0]


def test_a_proof_of_changed_code_is_refused():
    cert = edited(proof(), ("mechanism", "source_sha256"), "ab" * 32)

    report = check_certificate(cert)

    assert "mechanism.source_sha256" in report.problems[0]


# -------------------------------------------------- sampling and unknown

def test_a_sampling_certificate_says_it_is_not_a_proof():
    mechanism = CATALOGUE["vickrey"].mechanism
    verdict = Verdict(NONE_FOUND, "vickrey", Shape((1, 1)), BOX,
                      mechanism.tie_rule, phases=[Phase(
                          "sampling", 1.0, {"profiles": 500,
                                            "misreports": 4000})])
    report = check_certificate(certificate.from_verdict(verdict, "vickrey"))

    assert report.ok
    assert "4000 misreports" in report.summary
    assert "not a proof" in report.summary


def test_an_unknown_certificate_says_why():
    mechanism = CATALOGUE["vickrey"].mechanism
    answer = SimpleNamespace(group=0, member=0, status="unknown",
                             reason="timeout", smtlib="")
    verdict = Verdict(UNKNOWN, "vickrey", Shape((1, 1)), BOX,
                      mechanism.tie_rule, unknown=answer)
    report = check_certificate(certificate.from_verdict(verdict, "vickrey"))

    assert report.ok
    assert report.summary.startswith("unknown: timeout")


# ------------------------------------------------------ other properties

ENTRY_FEE = """\
def entry_fee(profile):
    \"\"\"Everyone gets the item and pays 1, whatever it bid.\"\"\"
    return [[True for _ in group] for group in profile], \\
        [[1 for _ in group] for group in profile]
"""


def violation(tmp_path, prop, rule=ENTRY_FEE, name="entry_fee"):
    path = tmp_path / "fee.py"
    path.write_text(rule)
    target = f"{path}:{name}"
    mechanism, _ = load_target(target)
    shape = Shape((2,))
    values = ((Fraction(1, 2), Fraction(3)),)
    found = SimpleNamespace(group=0, member=0, profile=values)
    verdict = Verdict(REFUTED, mechanism.name, shape, BOX,
                      mechanism.tie_rule, prop=prop, witness=found)
    return certificate.from_verdict(verdict, target, mechanism=mechanism)


def test_an_individual_rationality_violation_is_re_checked(tmp_path):
    cert = violation(tmp_path, "individual_rationality")

    report = check_certificate(cert)

    assert report.ok, report.problems
    assert cert["evidence"]["fact"] == {"group": 1, "member": 1,
                                        "utility": "-1/2"}


def test_an_edited_violation_fact_is_named(tmp_path):
    cert = violation(tmp_path, "individual_rationality")
    cert["evidence"]["fact"]["utility"] = "-5"

    report = check_certificate(cert)

    assert "evidence.fact: certificate says" in report.problems[0]


def test_a_negative_payment_is_re_checked_without_refusing_the_outcome(
        tmp_path):
    rebate = ENTRY_FEE.replace("[[1 for", "[[-1 for")

    cert = violation(tmp_path, "no_positive_transfers", rebate)

    assert check_certificate(cert).ok
    assert cert["evidence"]["fact"]["payment"] == "-1"


# -------------------------------------------------------------- the file

def test_a_certificate_file_is_checked_with_its_folder_as_base(tmp_path):
    (tmp_path / "auction.py").write_text(textwrap.dedent("""\
        def first_price(profile):
            bids = [group[0] for group in profile]
            winner = bids.index(max(bids))
            return ([[j == winner] for j in range(len(bids))],
                    [[bids[j] if j == winner else 0]
                     for j in range(len(bids))])
        """))
    cert = first_price()
    mechanism, _ = load_target(f"{tmp_path / 'auction.py'}:first_price")
    cert["mechanism"].update(target="auction.py:first_price",
                             name="first_price", plain=True,
                             tie_rule=mechanism.tie_rule,
                             source_sha256=mechanism.source_hash())
    cert["claim"]["statement"] = verifier.checker.statement(
        "dsic", Shape((1, 1)), (0, 10), mechanism.tie_rule)
    certificate.write(tmp_path / "cert.json", cert)

    report = check_file(str(tmp_path / "cert.json"))

    assert report.ok, report.problems


def test_a_file_that_is_not_json_is_a_problem(tmp_path):
    (tmp_path / "cert.json").write_text("{not json")

    report = check_file(str(tmp_path / "cert.json"))

    assert not report.ok and "cert.json" in report.problems[0]


# -------------------------------------------------------- independence

def test_the_checker_imports_no_solver_search_numpy_or_floats():
    source = Path(verifier.checker.__file__).read_text()
    tree = ast.parse(source)

    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {node.module or ""} | {a.name for a in node.names}
    floats = [n.value for n in ast.walk(tree)
              if isinstance(n, ast.Constant) and isinstance(n.value, float)]

    assert not imported & {"z3", "numpy", "smt", "sampling", "shrink",
                           "search", "symexec"}
    assert floats == []


def test_checking_a_certificate_loads_no_search_module():
    code = textwrap.dedent("""\
        import json, sys
        from verifier.checker import check_certificate
        report = check_certificate(json.loads(sys.stdin.read()))
        assert report.ok, report.problems
        loaded = [m for m in ("verifier.smt", "verifier.sampling",
                              "verifier.shrink", "verifier.search",
                              "verifier.symexec") if m in sys.modules]
        print(loaded)
        """)

    run = subprocess.run([sys.executable, "-c", code], text=True,
                         input=json.dumps(first_price()),
                         capture_output=True, cwd=Path(__file__).parents[1])

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_a_margin_of_zero_or_below_is_refused():
    cert = edited(first_price(), ("evidence", "margin"), "-5")

    report = check_certificate(cert)

    assert not report.ok
    assert "evidence.margin is -5" in report.problems[0]
