"""Writing a verdict as a certificate, and reading it back."""

import json
import os
from dataclasses import replace
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import given, settings

from mechanisms import CATALOGUE
from verifier import certificate, checker
from verifier.errors import InvalidArgument
from verifier.loading import load_target
from verifier.model import Shape, utility
from verifier.strategies import profiles, shapes
from verifier.verdict import (
    NONE_FOUND, REFUTED, UNKNOWN, VERIFIED, Box, Phase, Result, Verdict,
    Witness,
)

SHAPE = Shape((1, 1))
BOX = Box(Fraction(0), Fraction(10))


def first_price_verdict():
    """First-price, values 3 and 1: bidder 1 gains 1 by bidding 2."""
    mechanism = CATALOGUE["first-price"].mechanism
    values = ((Fraction(3),), (Fraction(1),))
    bids = ((Fraction(2),), (Fraction(1),))
    truthful = mechanism.outcome(SHAPE, values)
    deviated = mechanism.outcome(SHAPE, bids)
    found = Witness(0, 0, values, Fraction(2), truthful, deviated,
                    utility(SHAPE, values, truthful, 0, 0),
                    utility(SHAPE, values, deviated, 0, 0),
                    robust=True, margin=Fraction(1, 100))
    return Verdict(REFUTED, "first-price", SHAPE, BOX, mechanism.tie_rule,
                   witness=found, stop_reason="stopped: found by hand",
                   results=[Result("no profitable misreport away from ties",
                                   REFUTED, "a robust witness exists")])


def sorted_everywhere(data):
    if isinstance(data, dict):
        return list(data) == sorted(data) and all(
            sorted_everywhere(x) for x in data.values())
    if isinstance(data, list):
        return all(sorted_everywhere(x) for x in data)
    return True


# ----------------------------------------------------------- the fields

def test_a_refutation_records_who_deviated_how_and_what_it_gained():
    cert = certificate.from_verdict(first_price_verdict(), "first-price")

    evidence = cert["evidence"]
    assert evidence["kind"] == "witness"
    assert (evidence["group"], evidence["member"]) == (1, 1)
    assert evidence["profile"] == [["3"], ["1"]]
    assert evidence["misreport"] == "2"
    assert evidence["truthful"]["payments"] == [["3"], ["0"]]
    assert evidence["utilities"] == {"truthful": "0", "deviated": "1"}
    assert evidence["gain"] == "1"
    assert (evidence["robust"], evidence["margin"]) == (True, "1/100")


def test_a_certificate_describes_itself():
    mechanism = CATALOGUE["first-price"].mechanism

    cert = certificate.from_verdict(first_price_verdict(), "first-price")

    assert (cert["format"], cert["version"]) == ("dsic-certificate", 1)
    assert set(cert["tools"]) == {"dsic", "python", "z3"}
    assert cert["mechanism"] == {
        "name": "first-price", "target": "first-price",
        "source_sha256": mechanism.source_hash(),
        "tie_rule": mechanism.tie_rule, "plain": False}
    assert cert["shape"] == SHAPE.to_json()
    assert cert["domain"] == {"low": "0", "high": "10"}
    assert cert["claim"]["property"] == "dsic"
    assert "values in [0, 10]" in cert["claim"]["statement"]
    assert cert["verdict"] == "refuted"
    assert cert["results"][0]["status"] == "refuted"
    assert cert["stop_reason"] == "stopped: found by hand"


def test_keys_are_sorted_at_every_level():
    cert = certificate.from_verdict(first_price_verdict(), "first-price")

    assert sorted_everywhere(cert)


def test_a_multi_item_misreport_is_a_list_of_strings():
    mechanism = CATALOGUE["mechanism-2"].mechanism
    shape = Shape((1, 1), items=2, valuation="additive")
    f = Fraction
    values = (((f(3), f(1)),), ((f(2), f(5)),))
    out = mechanism.outcome(shape, values)
    found = Witness(1, 0, values, (f(1), f(5)), out, out, f(0), f(0))
    verdict = Verdict(REFUTED, "mechanism-2", shape, BOX,
                      mechanism.tie_rule, witness=found)

    cert = certificate.from_verdict(verdict, "mechanism-2")

    assert cert["evidence"]["misreport"] == ["1", "5"]
    assert cert["evidence"]["profile"] == [[["3", "1"]], [["2", "5"]]]


def test_a_proof_keeps_one_query_per_member():
    mechanism = CATALOGUE["vickrey"].mechanism
    answers = [SimpleNamespace(group=j, member=0, status="unsat",
                               smtlib=f"(assert false) ; member {j}")
               for j in range(2)]
    verdict = Verdict(VERIFIED, "vickrey", SHAPE, BOX, mechanism.tie_rule,
                      proof=answers)

    evidence = certificate.from_verdict(verdict, "vickrey")["evidence"]

    assert evidence["kind"] == "smt" and evidence["margin"] is None
    assert [(q["group"], q["member"], q["result"])
            for q in evidence["queries"]] == [(1, 1, "unsat"),
                                              (2, 1, "unsat")]
    assert evidence["solver"].startswith("z3 ")


def test_a_verified_verdict_without_unsat_answers_is_refused():
    mechanism = CATALOGUE["vickrey"].mechanism
    answers = [SimpleNamespace(group=0, member=0, status="unknown",
                               smtlib="")]
    verdict = Verdict(VERIFIED, "vickrey", SHAPE, BOX, mechanism.tie_rule,
                      proof=answers)

    with pytest.raises(InvalidArgument, match="every one unsat"):
        certificate.from_verdict(verdict, "vickrey")


def test_a_refuted_verdict_without_a_witness_is_refused():
    verdict = Verdict(REFUTED, "vickrey", SHAPE, BOX, "ties")

    with pytest.raises(InvalidArgument, match="has no witness"):
        certificate.from_verdict(verdict, "vickrey")


def test_sampling_evidence_keeps_the_counts():
    phases = [Phase("sampling", 2.0, {"profiles": 10, "misreports": 80}),
              Phase("smt", 1.0, {"queries": 2})]
    verdict = Verdict(NONE_FOUND, "vickrey", SHAPE, BOX, "ties",
                      phases=phases)

    evidence = certificate.from_verdict(verdict, "vickrey")["evidence"]

    assert evidence == {"kind": "sampling",
                        "counts": {"misreports": 80, "profiles": 10}}


def test_unknown_evidence_says_why_and_which_setting_to_raise():
    answer = SimpleNamespace(group=0, member=0, status="unknown",
                             reason="canceled after 30 s", smtlib="")
    verdict = Verdict(UNKNOWN, "vickrey", SHAPE, BOX, "ties", unknown=answer)

    evidence = certificate.from_verdict(verdict, "vickrey")["evidence"]

    assert evidence == {"kind": "unknown", "reason": "canceled after 30 s",
                        "setting": "timeout"}


# ------------------------------------------------------------ the target

def test_a_catalogue_mechanism_is_named_by_its_entry():
    mechanism = CATALOGUE["first-price"].mechanism

    cert = certificate.from_verdict(first_price_verdict(), mechanism)

    assert cert["mechanism"]["target"] == "first-price"


def test_a_plain_function_from_a_file_is_named_by_path(tmp_path):
    path = tmp_path / "auction.py"
    path.write_text("def rule(profile):\n    return [[True]], [[0]]\n")
    mechanism, _ = load_target(f"{path}:rule")

    assert certificate.target_of(mechanism) == f"{path}:rule"


def test_a_mechanism_that_cannot_be_named_has_no_target():
    mechanism = CATALOGUE["vickrey"].mechanism
    inner = SimpleNamespace(rule=lambda profile: None, plain=True)

    assert certificate.target_of(inner) is None
    assert certificate.target_of(mechanism) == "vickrey"


def test_a_mechanism_without_a_name_to_load_gets_a_note():
    copy = replace(CATALOGUE["first-price"].mechanism, name="my-copy")

    cert = certificate.from_verdict(first_price_verdict(), copy)

    assert cert["mechanism"]["target"] is None
    assert "cannot be re-checked" in cert["notes"][-1]
    assert "mechanism.target is null" in checker.check_certificate(
        cert).problems[0]


# -------------------------------------------------------------- the file

def test_write_and_load_round_trip(tmp_path):
    cert = certificate.from_verdict(first_price_verdict(), "first-price")
    path = tmp_path / "first-price.json"

    certificate.write(path, cert)

    assert certificate.load(path) == cert
    text = path.read_text()
    assert text == json.dumps(cert, sort_keys=True, indent=2) + "\n"


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    cert = certificate.from_verdict(first_price_verdict(), "first-price")
    path = tmp_path / "cert.json"
    certificate.write(path, cert)
    before = path.read_text()

    def broken_rename(source, destination):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken_rename)
    with pytest.raises(OSError, match="disk full"):
        certificate.write(path, dict(cert, stop_reason="changed"))

    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["cert.json"]


def test_a_float_is_refused_before_anything_is_written(tmp_path):
    cert = certificate.from_verdict(first_price_verdict(), "first-price")
    cert["evidence"]["gain"] = 1.0

    with pytest.raises(InvalidArgument, match=r"certificate\.evidence\.gain"):
        certificate.write(tmp_path / "cert.json", cert)

    assert os.listdir(tmp_path) == []


def test_loading_a_missing_or_broken_file_names_it(tmp_path):
    (tmp_path / "broken.json").write_text("{")

    with pytest.raises(InvalidArgument, match="no certificate at"):
        certificate.load(tmp_path / "absent.json")
    with pytest.raises(InvalidArgument, match="is not JSON"):
        certificate.load(tmp_path / "broken.json")


@settings(max_examples=40)
@given(shapes(max_groups=3, max_members=3).flatmap(
    lambda shape: profiles(shape).map(lambda p: (shape, p))))
def test_a_profile_survives_the_trip_through_json(case):
    shape, profile = case

    text = json.dumps(certificate.bids_json(profile))

    assert checker.profile(json.loads(text), shape, "profile") == profile


# ------------------------------------------------------- re-solving proofs

def test_kept_queries_can_be_re_solved_outside_the_checker():
    query = ("(declare-const b Real)\n(assert (> b 1))\n(assert (< b 0))\n"
             "(check-sat)\n")
    cert = {"evidence": {"queries": [{"group": 1, "member": 1,
                                      "smtlib": query, "result": "unsat"}]}}

    assert certificate.resolve_queries(cert, timeout=5) == [(1, 1, "unsat")]
