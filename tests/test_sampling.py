"""Exact deviations, and the sampling search that looks for them."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mechanisms import CATALOGUE
from mechanisms.aggregation import willingness_to_pay
from plain_mechanisms import first_price, vickrey
from verifier import sampling
from verifier.candidates import Climb, Domain, Pairs
from verifier.deviation import deviate, exact_deviation
from verifier.errors import InvalidArgument, InvalidProfile, InvalidShape
from verifier.mechanism import plain
from verifier.model import Shape
from verifier.sampling import float_gains, sample
from verifier.strategies import misreports, profiles
from verifier.verdict import Box

BOX = Box(Fraction(0), Fraction(10))
BUDGET = 20_000
UNTRUTHFUL = ["first-price", "footnote-2", "crowdfund", "appendix-a"]


def numbers_of(shape, profile, misreport):
    """Every number of a profile and a misreport, flat."""
    bids = [b for group in profile for b in group] + [misreport]
    for bid in bids:
        yield from (bid if shape.multi_item else (bid,))


# ------------------------------------------------------- exact deviation

def test_exact_deviation_measures_both_utilities_with_the_true_value():
    entry = CATALOGUE["first-price"]

    w = exact_deviation(entry.mechanism, entry.shape, ((3,), (1,), (2,)),
                        0, 0, 2)

    assert (w.utility_truthful, w.utility_deviated) == (0, 1)
    assert w.gain == 1 and isinstance(w.gain, Fraction)
    assert w.truthful.payments[0] == (3,) and w.deviated.payments[0] == (2,)


def test_exact_deviation_refuses_a_member_outside_the_shape():
    entry = CATALOGUE["first-price"]

    with pytest.raises(InvalidArgument, match="group 3, member 0"):
        exact_deviation(entry.mechanism, entry.shape, ((3,), (1,), (2,)),
                        3, 0, 2)


def test_exact_deviation_refuses_a_negative_misreport_naming_it():
    entry = CATALOGUE["first-price"]

    with pytest.raises(InvalidProfile, match="misreport of member 1"):
        exact_deviation(entry.mechanism, entry.shape, ((3,), (1,), (2,)),
                        0, 0, -1)


@given(st.sampled_from(sorted(CATALOGUE)).flatmap(
    lambda name: st.tuples(st.just(name),
                           profiles(CATALOGUE[name].shape),
                           st.sampled_from(CATALOGUE[name].shape.members()))))
def test_bidding_the_true_value_gains_nothing(case):
    name, profile, (j, i) = case
    entry = CATALOGUE[name]

    w = exact_deviation(entry.mechanism, entry.shape, profile, j, i,
                        profile[j][i])

    assert w.gain == 0


def test_deviate_replaces_one_bid_and_keeps_the_rest():
    assert deviate(((1, 2), (3,)), 0, 1, 9) == ((1, 9), (3,))


# --------------------------------------------- batch against exact gains

@given(st.sampled_from(sorted(CATALOGUE)).flatmap(
    lambda name: st.tuples(
        st.just(name),
        profiles(CATALOGUE[name].shape, float_exact=True),
        st.sampled_from(CATALOGUE[name].shape.members()),
        misreports(CATALOGUE[name].shape, float_exact=True))))
def test_float_gains_agree_with_exact_gains_on_numbers_floats_hold(case):
    name, profile, (j, i), misreport = case
    entry = CATALOGUE[name]
    shape = entry.shape
    x = np.array([[np.asarray(b, dtype=float) for g in profile for b in g]])
    member = shape.members().index((j, i))

    gain, _ = float_gains(entry.mechanism, shape, x, Pairs(
        np.array([0]), np.array([member]),
        np.array([np.asarray(misreport, dtype=float)])))
    exact = exact_deviation(entry.mechanism, shape, profile, j, i, misreport)

    assert gain[0] == pytest.approx(float(exact.gain), abs=1e-9)


# ------------------------------------------------------------- sampling

@pytest.mark.parametrize("name", UNTRUTHFUL)
def test_sampling_finds_an_exact_witness_for_an_untruthful_entry(name):
    entry = CATALOGUE[name]

    found = sample(entry.mechanism, entry.shape, BOX, seed=0, budget=BUDGET)

    w = found.best
    assert w is not None and w.gain > 0
    again = exact_deviation(entry.mechanism, entry.shape, w.profile,
                            w.group, w.member, w.misreport)
    assert again.gain == w.gain
    assert all(BOX.low <= q <= BOX.high
               for q in numbers_of(entry.shape, w.profile, w.misreport))
    assert found.phase.counts["candidates_rechecked"] >= 1


@pytest.mark.parametrize("name, groups", [
    ("vickrey", (1, 1, 1)),
    ("mechanism-1", (2, 1)),
    ("mechanism-2", (2, 1)),
])
def test_sampling_finds_none_for_a_truthful_entry_and_counts_its_work(
        name, groups):
    entry = CATALOGUE[name]
    shape = Shape(groups, entry.shape.items, entry.shape.valuation)

    found = sample(entry.mechanism, shape, BOX, seed=0, budget=BUDGET)

    assert found.best is None
    assert found.phase.name == "sampling"
    assert found.phase.counts["profiles"] > 0
    assert found.phase.counts["misreports"] == BUDGET


@pytest.mark.parametrize("seed", [0, 1])
def test_sampling_refutes_mechanism_1_only_where_two_groups_wtp_tie(seed):
    entry = CATALOGUE["mechanism-1"]

    found = sample(entry.mechanism, entry.shape, BOX, seed=seed,
                   budget=BUDGET)

    w = found.best
    assert w is not None and w.gain > 0
    wtp = sorted(willingness_to_pay(list(group)) for group in w.profile)
    assert wtp[-1] == wtp[-2]


def test_a_climb_from_a_losing_overbid_reaches_a_gain():
    entry = CATALOGUE["first-price"]
    shape = entry.shape
    climb = Climb(Domain(BOX, shape), np.array([[5.0, 3.0, 0.0]]),
                  np.array([0]), np.array([10.0]), np.array([-5.0]))

    for _ in range(12):
        x, bid, owner = climb.moves()
        gain, _ = float_gains(entry.mechanism, shape, x, Pairs(
            np.arange(len(owner)), climb.member[owner], bid))
        climb.keep_best(gain)

    assert climb.gain[0] > 0
    profile = tuple((Fraction(v),) for v in climb.x[0])
    exact = exact_deviation(entry.mechanism, shape, profile, 0, 0,
                            Fraction(climb.bid[0]))
    assert float(exact.gain) == pytest.approx(climb.gain[0])


@pytest.mark.parametrize("name", ["first-price", "appendix-a"])
def test_local_moves_alone_find_a_witness(name, monkeypatch):
    entry = CATALOGUE[name]
    monkeypatch.setattr(sampling._Search, "_recheck",
                        lambda self, *args: None)

    found = sample(entry.mechanism, entry.shape, BOX, seed=0, budget=BUDGET)

    assert found.best is not None and found.best.gain > 0


def test_the_same_seed_gives_the_same_witness_and_counts():
    entry = CATALOGUE["appendix-a"]

    first = sample(entry.mechanism, entry.shape, BOX, seed=7, budget=5000)
    second = sample(entry.mechanism, entry.shape, BOX, seed=7, budget=5000)

    assert first.phase.counts == second.phase.counts
    assert (first.best.profile, first.best.group, first.best.member,
            first.best.misreport) == (second.best.profile, second.best.group,
                                      second.best.member,
                                      second.best.misreport)


@given(st.integers(1, 4000), st.integers(0, 2**32 - 1))
def test_sampling_evaluates_exactly_its_budget_when_it_finds_nothing(
        budget, seed):
    entry = CATALOGUE["vickrey"]

    found = sample(entry.mechanism, entry.shape, BOX, seed=seed,
                   budget=budget)

    assert found.best is None
    assert found.phase.counts["misreports"] == budget


def test_sampling_reports_progress_up_to_its_budget():
    entry = CATALOGUE["vickrey"]
    heard = []

    sample(entry.mechanism, entry.shape, BOX, seed=0, budget=3000,
           progress=lambda done, total: heard.append((done, total)))

    assert heard[-1] == (3000, 3000)
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)


def test_sampling_stays_inside_a_box_that_does_not_start_at_zero():
    entry = CATALOGUE["first-price"]
    box = Box(Fraction(2), Fraction(7, 2))

    w = sample(entry.mechanism, entry.shape, box, seed=0, budget=BUDGET).best

    assert w is not None and w.gain > 0
    assert all(box.low <= q <= box.high
               for q in numbers_of(entry.shape, w.profile, w.misreport))


def test_sampling_refuses_a_budget_below_one():
    entry = CATALOGUE["vickrey"]

    with pytest.raises(InvalidArgument, match="budget=0"):
        sample(entry.mechanism, entry.shape, BOX, seed=0, budget=0)


def test_sampling_refuses_a_shape_the_mechanism_is_not_defined_on():
    entry = CATALOGUE["vickrey"]

    with pytest.raises(InvalidShape):
        sample(entry.mechanism, Shape((2, 1)), BOX, seed=0, budget=10)


# ------------------------------------------------------------ plain code

def test_a_plain_first_price_auction_is_refuted_on_exact_numbers():
    shape = Shape((1, 1, 1))

    found = sample(plain(first_price), shape, BOX, seed=0, budget=BUDGET)

    w = found.best
    assert w is not None and w.gain > 0
    assert found.phase.counts["misreports"] <= sampling.PLAIN_BUDGET


def test_a_plain_vickrey_auction_spends_the_smaller_plain_budget(
        monkeypatch):
    monkeypatch.setattr(sampling, "PLAIN_BUDGET", 300)

    found = sample(plain(vickrey), Shape((1, 1, 1)), BOX, seed=0,
                   budget=BUDGET)

    assert found.best is None
    assert found.phase.counts["misreports"] == 300
    assert found.phase.counts["profiles"] > 0
