"""The paper's claims: stored certificates re-check, tampering is caught,
and each claim's proof runs on tiny bounds."""

import copy
import gzip
import json
import os
import shutil
from fractions import Fraction

import pytest
import z3
from hypothesis import given, strategies as st

import proofs
from proofs import (
    appendix_a, check, common, evidence, facts, footnote_2, lemma_3_3,
    readme, section_4_2, solving, theorem_3_1, theorem_3_2, theorem_3_4,
    theorem_4_1,
)
from verifier.checker import solver_free


# ------------------------------------------------------ stored certificates

def test_every_stored_certificate_rechecks_exactly():
    rows = proofs.check_all()

    assert [r["claim"] for r in rows] == [
        m.CLAIM["id"] for m in proofs.CLAIMS]
    assert all(r["result"].startswith("ok: ") for r in rows), [
        r["problems"] for r in rows if r["problems"]]


def test_the_readme_is_the_one_the_certificates_generate():
    with open(proofs.README, encoding="utf-8") as stream:
        stored = stream.read()

    assert stored == readme.text(proofs.stored())


def test_the_readme_names_the_condition_theorem_3_1_needs():
    text = readme.text(proofs.stored())

    assert "holds away from ties" in text
    assert "Where the paper's statement needs a condition" in text


def test_stored_queries_get_the_same_answers_again():
    cert = evidence.load(os.path.join(proofs.FOLDER, "theorem-3.4.json"))

    answers = solving.answer_again(cert, proofs.FOLDER, timeout=30)

    assert answers and all(said == now for _, said, now in answers)


def test_the_checker_uses_no_solver():
    assert solver_free(check)
    assert solver_free(facts)


# ---------------------------------------------------------------- tampering

@pytest.fixture
def stored_copy(tmp_path):
    """The stored Theorem 3.1 certificate and its queries, in tmp_path."""
    for name in ("theorem-3.1.json", "theorem-3.1.smt2.gz"):
        shutil.copy(os.path.join(proofs.FOLDER, name), tmp_path / name)
    return tmp_path, evidence.load(tmp_path / "theorem-3.1.json")


def _steps(cert, kind, **match):
    return [s for s in cert["evidence"]["steps"] if s["kind"] == kind
            and all(s.get(k) == v for k, v in match.items())]


def test_a_changed_misreport_is_named(stored_copy):
    folder, cert = stored_copy
    step = _steps(cert, "fact", part="worked-example")[0]

    step["inputs"]["misreport"] = "3"
    report = check.check_certificate(cert, folder)

    assert not report.ok
    assert any("values.gain" in p for p in report.problems)


def test_a_changed_solver_answer_is_named(stored_copy):
    folder, cert = stored_copy
    step = _steps(cert, "solver", part="dsic-margin")[0]

    step["status"] = "sat"
    report = check.check_certificate(cert, folder)

    assert not report.ok
    assert any("holds" in p for p in report.problems)
    assert any(p.startswith("verdict.") for p in report.problems)


def test_a_changed_query_is_named(stored_copy):
    folder, cert = stored_copy
    path = folder / "theorem-3.1.smt2.gz"
    text = gzip.decompress(path.read_bytes()).decode()

    path.write_bytes(gzip.compress(
        text.replace("(check-sat)", "(check-sat) ", 1).encode(),
        compresslevel=1))
    report = check.check_certificate(cert, folder)

    assert not report.ok
    assert any("smtlib.sha256" in p for p in report.problems)


def test_a_changed_verdict_is_named(stored_copy):
    folder, cert = stored_copy

    cert["verdict"]["result"] = "holds"
    report = check.check_certificate(cert, folder)

    assert report.problems == [
        "verdict.result is 'holds', the steps give 'holds away from ties'"]


def test_a_changed_mechanism_source_is_named(stored_copy):
    folder, cert = stored_copy

    cert["mechanisms"]["mechanism-1"]["source_sha256"] = "0" * 64
    report = check.check_certificate(cert, folder)

    assert any(p.startswith("mechanisms.mechanism-1.source_sha256")
               for p in report.problems)


def test_a_missing_query_file_is_named(stored_copy):
    folder, cert = stored_copy

    os.remove(folder / "theorem-3.1.smt2.gz")
    report = check.check_certificate(cert, folder)

    assert not report.ok
    assert "evidence.smtlib" in report.summary


# -------------------------------------------------------------- exact facts

def test_the_tie_example_gains_two_at_a_tie():
    values = facts.evaluate("deviation", {
        "mechanism": "mechanism-1", "shape": {"groups": [1, 2], "items": 1,
                                              "valuation": "single"},
        "profile": [["4"], ["4", "2"]], "group": 2, "member": 1,
        "misreport": "5"})

    assert values["gain"] == "2"
    assert values["tie_gap_truthful"] == "0"
    assert values["deviated"]["payments"] == [["0"], ["2", "2"]]


@given(st.lists(st.fractions(min_value=0, max_value=10, max_denominator=6),
                min_size=1, max_size=6))
def test_equal_split_capacity_is_the_willingness_to_pay(values):
    bids = facts.bids(values)

    capacity = facts.evaluate("equal-split-capacity", {"values": bids})
    wtp = facts.evaluate("aggregate", {"aggregation": "wtp", "bids": bids})

    assert capacity["capacity"] == wtp["bid"]


def test_lemma_4_8_allocations_with_item_1_reach_one_plus_epsilon():
    values = facts.evaluate("equal-price-welfare", {"n": 3,
                                                     "epsilon": "1/10"})

    assert (values["opt"], values["best"]) == ("31/10", "11/10")
    assert values["allocations"] == 4 ** 3


def test_requirements_compare_values_and_numbers():
    values = {"gain": "1/2", "ratio": "inf"}

    assert facts.requirement_holds(values, facts.requirement(
        "gain", ">", "0"))
    assert not facts.requirement_holds(values, facts.requirement(
        "ratio", "<", "100"))


def test_smtlib_blocks_read_back_as_written():
    blocks = [("one", "; a comment\n(check-sat)\n"),
              ("two", "(declare-fun x () Real)\n(check-sat)\n")]

    text = evidence.smtlib_text(blocks)

    assert evidence.read_blocks(text) == [b for _, b in blocks]


def test_a_query_reads_the_same_whatever_z3_built_before():
    def query():
        x, y = z3.Reals("x y")
        both = z3.And(x > y, y > 0)
        return solving.solve([z3.Or(both, z3.Not(both))], timeout=5).smtlib

    first = query()
    noise = [z3.Real(f"noise_{k}") + k for k in range(500)]
    second = query()

    assert first != second, "z3 numbered its let names the same anyway"
    assert evidence.canonical(first) == evidence.canonical(second)
    assert noise


# ---------------------------------------------------------- conclusions

def test_an_unknown_solver_answer_makes_a_part_unknown():
    steps = [{"kind": "solver", "status": "unknown", "expect": "unsat",
              "holds": False},
             {"kind": "fact", "holds": True}]

    assert common.status_of(steps) == common.UNKNOWN


def test_a_failed_requirement_makes_the_claim_fail(stored_copy):
    _, cert = stored_copy
    steps = copy.deepcopy(cert["evidence"]["steps"])

    _steps({"evidence": {"steps": steps}}, "fact",
           part="worked-example")[0]["holds"] = False

    assert theorem_3_1.conclude(steps)["result"] == "fails"


# ------------------------------------------------- each claim, tiny bounds

def _built(module, tmp_path, **bounds):
    cert, blocks = proofs.build(module, **bounds)
    evidence.write(tmp_path, cert, blocks)
    report = check.check_file(
        tmp_path / evidence.certificate_name(cert["claim"]["id"]))
    assert report.ok, report.problems
    return cert


def test_theorem_3_1_fails_only_at_ties_on_three_members(tmp_path):
    cert = _built(theorem_3_1, tmp_path, max_members=3)

    assert cert["verdict"]["result"] == "holds away from ties"
    assert "2 of 11 members can gain at a tie" in cert["verdict"]["summary"]
    assert "matching all 11 answers" in cert["verdict"]["summary"]


def test_lemma_3_3_holds_for_small_groups(tmp_path):
    cert = _built(lemma_3_3, tmp_path, max_n=4, max_unsorted=3)

    assert cert["verdict"]["result"] == "holds"


def test_theorem_3_2_ratio_is_h_2_attained_only_with_the_tie(tmp_path):
    cert = _built(theorem_3_2, tmp_path, shapes=((2, 1), (1, 2)),
                  max_instance=3)

    summary = cert["verdict"]["summary"]
    assert "(2, 1) 3/2 not attained, = H_2" in summary
    assert "(1, 2) 3/2 attained, = H_2" in summary


def test_theorem_3_4_threshold_step_is_unsat(tmp_path):
    cert = _built(theorem_3_4, tmp_path, sizes=(3,))

    assert cert["verdict"]["result"] == "holds, given the paper's steps"
    assert _steps(cert, "solver", part="threshold")[0]["status"] == "unsat"


def test_theorem_4_1_on_one_shape(tmp_path):
    cert = _built(theorem_4_1, tmp_path, shapes=(((1, 2), 2),))

    assert cert["verdict"]["result"] == "holds away from ties"


def test_section_4_2_on_two_groups_and_two_items(tmp_path):
    cert = _built(section_4_2, tmp_path, sizes=(2,), vcg_shapes=((2, 2),))

    assert "not Lemma 4.3 or Corollary 4.7" in cert["verdict"]["result"]


def test_appendix_a_gains_eps_and_three_eps(tmp_path):
    cert = _built(appendix_a, tmp_path)

    gains = {s["values"]["gain"]
             for s in _steps(cert, "fact", part="deviation")}
    assert gains == {str(Fraction(1, 10)), str(Fraction(3, 10))}


def test_footnote_2_is_optimal_and_refuted(tmp_path):
    cert = _built(footnote_2, tmp_path, shapes=((2, 1),))

    assert cert["verdict"]["result"] == "holds: optimal, not DSIC"


def test_certificates_are_sorted_json_without_floats(tmp_path):
    cert = _built(appendix_a, tmp_path)

    text = (tmp_path / "appendix-a.json").read_text()
    assert json.loads(text) == cert
    assert list(cert) == sorted(cert)
    assert not _has_float(cert)


def _has_float(data):
    if isinstance(data, float):
        return True
    if isinstance(data, dict):
        return any(_has_float(v) for v in data.values())
    if isinstance(data, list):
        return any(_has_float(v) for v in data)
    return False
