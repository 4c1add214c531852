"""The solver: deviations found and re-checked exactly, proofs, regret,
properties, and the SMT-LIB text each answer keeps."""

from fractions import Fraction

import pytest
import z3

from mechanisms import CATALOGUE
from mechanisms.upper import second_price
from verifier import ops, smt, ties
from verifier.deviation import exact_deviation
from verifier.errors import MechanismError
from verifier.mechanism import Mechanism, compose, plain
from verifier.model import Outcome, Shape
from verifier.verdict import Box

BOX = Box(Fraction(0), Fraction(10))
MARGIN = Fraction(1, 100)
MECHANISM_1 = CATALOGUE["mechanism-1"].mechanism


def mechanism(name):
    return CATALOGUE[name].mechanism


def statuses(answers):
    return [a.status for a in answers]


def resolved(smtlib):
    """What z3 answers on the kept SMT-LIB text, parsed afresh."""
    solver = z3.Solver()
    solver.add(z3.parse_smt2_string(smtlib))
    return str(solver.check())


def assert_rechecked(answer, shape, name):
    w = answer.witness
    again = exact_deviation(mechanism(name), shape, w.profile, w.group,
                            w.member, w.misreport)
    assert again.gain == w.gain > 0
    for x in [w.misreport] + [b for group in w.profile for b in group]:
        for part in (x if isinstance(x, tuple) else (x,)):
            assert BOX.low <= part <= BOX.high


# ------------------------------------------------------------ deviations

def test_first_price_winner_gains_by_shading_its_bid():
    shape = Shape((1, 1))

    answer = smt.find_deviation(mechanism("first-price"), shape, BOX, 0, 0,
                                timeout=30)

    assert answer.status == "sat"
    assert (answer.group, answer.member) == (0, 0)
    assert_rechecked(answer, shape, "first-price")


def test_appendix_a_has_a_deviation_on_its_default_shape():
    shape = CATALOGUE["appendix-a"].shape

    answers = smt.prove_dsic(mechanism("appendix-a"), shape, BOX,
                             timeout=30, first=True)

    assert answers[-1].status == "sat"
    assert_rechecked(answers[-1], shape, "appendix-a")


def test_a_witness_away_from_ties_is_robust_at_the_margin():
    shape = Shape((1, 1))

    answer = smt.find_deviation(mechanism("first-price"), shape, BOX, 0, 0,
                                timeout=30, margin=MARGIN)

    assert answer.status == "sat" and answer.witness.robust is True
    assert ties.robust(mechanism("first-price"), shape, answer.witness,
                       MARGIN)


@pytest.mark.parametrize("groups", [(1, 1), (1, 1, 1)])
def test_vickrey_is_proved_dsic_ties_included(groups):
    answers = smt.prove_dsic(mechanism("vickrey"), Shape(groups), BOX,
                             timeout=30)

    assert statuses(answers) == ["unsat"] * len(groups)


@pytest.mark.parametrize("groups", [(2, 1), (1, 2), (2, 2)])
def test_mechanism_1_is_proved_dsic_away_from_ties(groups):
    answers = smt.prove_dsic(MECHANISM_1, Shape(groups), BOX, timeout=30,
                             margin=MARGIN)

    assert statuses(answers) == ["unsat"] * sum(groups)
    assert all(a.counts["region"] == "sat" for a in answers
               if "like_member" not in a.counts)


def test_mechanism_1_larger_group_gains_from_a_tie_it_loses():
    # G1 = (1/4, 1/4) and G2 = (1/2, 1/4) both have WTP 1/2; ties go to G1.
    # Bidding 3/4, member 1 of G2 wins at 1/2, split two ways: 1/2 - 1/4.
    shape = Shape((2, 2))

    answers = smt.prove_dsic(MECHANISM_1, shape, BOX, timeout=30)
    hand = exact_deviation(MECHANISM_1, shape, [[Fraction(1, 4)] * 2,
                           [Fraction(1, 2), Fraction(1, 4)]], 1, 0,
                           Fraction(3, 4))

    assert statuses(answers) == ["unsat", "unsat", "sat", "sat"]
    for answer in answers[2:]:
        assert_rechecked(answer, shape, "mechanism-1")
        assert not ties.robust(MECHANISM_1, shape, answer.witness, MARGIN)
    assert hand.gain == Fraction(1, 4)


def test_mechanism_1_with_a_single_member_losing_side_is_dsic_at_ties():
    answers = smt.prove_dsic(MECHANISM_1, Shape((2, 1)), BOX, timeout=30)

    assert statuses(answers) == ["unsat"] * 3


@pytest.mark.parametrize("margin", [None, MARGIN])
def test_symmetry_changes_no_answer(margin):
    shape = Shape((3, 2))

    fast = smt.prove_dsic(MECHANISM_1, shape, BOX, timeout=30,
                          margin=margin)
    slow = smt.prove_dsic(MECHANISM_1, shape, BOX, timeout=30,
                          margin=margin, symmetry=False)

    assert statuses(fast) == statuses(slow)
    assert all("like_member" not in a.counts for a in slow)
    assert any("like_member" in a.counts for a in fast)


def first_pays(b, won, p):
    """Serve every member; the first pays the whole charge."""
    return [won] * len(b), [ops.where(won, p, 0)] + [0] * (len(b) - 1)


FIRST_PAYS = compose("first-pays", ops.total, second_price, first_pays)


def test_members_a_rule_treats_differently_are_not_interchangeable():
    found = smt.interchangeable(FIRST_PAYS, Shape((2, 2)), BOX, timeout=10)

    assert found.groups == frozenset()
    assert set(found.unproved) == {0, 1}


def test_an_empty_region_away_from_ties_is_unknown_not_unsat():
    # in [0, 1] two bids cannot be 2 apart
    answer = smt.find_deviation(mechanism("vickrey"), Shape((1, 1)),
                                Box(0, 1), 0, 0, timeout=30, margin=2)

    assert answer.status == "unknown"
    assert "lower the margin" in answer.reason


def test_a_tiny_timeout_is_reported_as_unknown():
    answer = smt.find_deviation(MECHANISM_1, Shape((6, 6)), BOX, 0, 0,
                                timeout=0.001, margin=MARGIN)

    assert answer.status == "unknown"
    assert "raise the timeout" in answer.reason


def test_plain_python_is_refused_by_the_solver():
    black_box = plain(lambda profile: ([[True]], [[0]]), "black-box")

    with pytest.raises(MechanismError, match="plain Python"):
        smt.find_deviation(black_box, Shape((1,)), BOX, 0, 0, timeout=5)


# ---------------------------------------------------------------- SMT-LIB

def test_kept_queries_give_the_same_answer_when_parsed_again():
    shape = Shape((2, 2))
    answers = smt.prove_dsic(MECHANISM_1, shape, BOX, timeout=30)
    answers += smt.prove_dsic(MECHANISM_1, shape, BOX, timeout=30,
                              margin=MARGIN, symmetry=False)

    for answer in answers:
        assert answer.smtlib.startswith("(set-logic QF_LRA)")
        assert resolved(answer.smtlib) == answer.status


def test_a_query_dividing_by_bids_is_declared_nonlinear():
    answer = smt.find_deviation(mechanism("crowdfund"), Shape((2, 1)), BOX,
                                1, 0, timeout=30)

    assert answer.smtlib.startswith("(set-logic QF_NRA)")
    assert resolved(answer.smtlib) == answer.status


# ----------------------------------------------------------------- regret

def test_first_price_regret_is_the_whole_box():
    answer = smt.max_regret(mechanism("first-price"), Shape((1, 1)), BOX,
                            timeout=30)
    first, second = answer.members

    assert (answer.status, answer.value, answer.attained) == (
        "optimal", 10, True)
    # bidder 1 (value 10) bids 0 against 0 and wins the tie
    assert (first.value, first.attained) == (10, True)
    assert first.witness.gain == 10
    # bidder 2 must bid above bidder 1: 10 is approached, never reached
    assert (second.value, second.attained) == (10, False)
    assert Fraction(999, 100) < second.witness.gain < 10


def test_vickrey_regret_is_zero():
    answer = smt.max_regret(mechanism("vickrey"), Shape((1, 1)), BOX,
                            timeout=30)

    assert (answer.value, answer.attained, answer.witness) == (0, True,
                                                               None)


# ------------------------------------------------------------- properties

@pytest.mark.parametrize("prop", sorted(
    ["individual_rationality", "budget_balance", "no_positive_transfers",
     "feasibility", "equal_treatment"]))
def test_mechanism_1_has_every_property_it_claims(prop):
    answer = smt.check_property(MECHANISM_1, Shape((2, 2)), BOX, prop,
                                timeout=30)

    assert answer.status == "unsat"
    assert resolved(answer.smtlib) == "unsat"


def test_a_sum_bid_can_charge_a_group_more_than_its_members_pay():
    shape = CATALOGUE["appendix-a-sum"].shape

    answer = smt.check_property(mechanism("appendix-a-sum"), shape, BOX,
                                "budget_balance", timeout=30)
    v = answer.violation
    outcome = mechanism("appendix-a-sum").outcome(shape, v.profile)

    assert answer.status == "sat"
    assert sum(outcome.payments[v.group]) != outcome.charges[v.group]


def _two_bidders(won, paid):
    """A constant rule for two groups of one member and one item: group j
    wins if won[j], its member gets access then and pays paid[j]."""
    def rule(profile):
        return Outcome(tuple((w,) for w in won), (Fraction(0),) * 2,
                       tuple((((w,),)) for w in won),
                       tuple((Fraction(p),) for p in paid))
    return Mechanism("hand-made", rule)


@pytest.mark.parametrize("prop, won, paid, fact", [
    ("feasibility", (True, True), (0, 0), {"item": 1, "groups": [1, 2]}),
    ("no_positive_transfers", (True, False), (-1, 0),
     {"group": 1, "member": 1, "payment": "-1"}),
])
def test_a_broken_outcome_is_found_and_named(prop, won, paid, fact):
    broken = _two_bidders(won, paid)

    answer = smt.check_property(broken, Shape((1, 1)), BOX, prop,
                                timeout=30)

    assert answer.status == "sat"
    assert answer.violation.fact == fact


def test_unequal_shares_for_equal_bids_break_equal_treatment():
    answer = smt.check_property(FIRST_PAYS, Shape((2, 1)), BOX,
                                "equal_treatment", timeout=30)

    assert answer.status == "sat"
    v = answer.violation
    assert v.profile[0][0] == v.profile[0][1]
    assert v.fact["members"] == [1, 2]


def _free_when_both_reach_five(profile):
    """Member 1 of group 1 gets the item free when both bids reach 5."""
    b1, b2 = profile[0][0], profile[1][0]
    both = ops.count([b1 >= 5, b2 >= 5]) >= 2
    return Outcome(((both,), (False,)), (Fraction(0), Fraction(0)),
                   (((both,),), ((False,),)), ((Fraction(0),), (Fraction(0),)))


def test_a_count_compared_with_a_constant_is_no_tie_to_keep_away_from():
    rule = Mechanism("count-rule", _free_when_both_reach_five)
    shape, box = Shape((1, 1)), Box(Fraction(0), Fraction(10))

    answer = smt.find_deviation(rule, shape, box, 0, 0, timeout=10,
                                margin=Fraction(2))

    assert answer.status == "sat"
    assert ties.robust(rule, shape, answer.witness, Fraction(2))
