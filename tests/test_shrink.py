"""Shrinking keeps a witness profitable, in the box, and never larger."""

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mechanisms import CATALOGUE
from verifier.deviation import exact_deviation
from verifier.errors import InvalidArgument
from verifier.sampling import sample
from verifier.shrink import candidates, shrink, simplest_between, size
from verifier.strategies import profiles
from verifier.verdict import Box

BOX = Box(Fraction(0), Fraction(10))


def numbers_of(shape, witness):
    bids = [b for group in witness.profile for b in group]
    bids.append(witness.misreport)
    return [q for bid in bids
            for q in (bid if shape.multi_item else (bid,))]


def sampled_witness(name, seed=0):
    entry = CATALOGUE[name]
    found = sample(entry.mechanism, entry.shape, BOX, seed=seed,
                   budget=20_000)
    assert found.best is not None
    return entry, found.best


# ---------------------------------------------------- simplest fractions

fractions = st.fractions(0, 50, max_denominator=200)


@given(fractions, fractions)
def test_simplest_between_has_the_smallest_denominator_in_the_interval(
        a, b):
    a, b = min(a, b), max(a, b)

    q = simplest_between(a, b)

    assert a <= q <= b
    assert not any(math.ceil(a * d) <= math.floor(b * d)
                   for d in range(1, q.denominator))
    assert q == Fraction(math.ceil(a * q.denominator), q.denominator)


def test_simplest_between_prefers_the_smallest_integer():
    assert simplest_between(Fraction(3, 2), Fraction(7, 2)) == 2
    assert simplest_between(Fraction(1, 3), Fraction(2, 5)) == Fraction(1, 3)
    assert simplest_between(Fraction(5, 7), Fraction(5, 7)) == Fraction(5, 7)


@given(st.fractions(0, 10, max_denominator=10**4))
def test_candidates_are_simpler_in_the_box_and_simplest_first(q):
    tried = candidates(q, BOX.low, BOX.high)

    assert all(BOX.low <= t <= BOX.high for t in tried)
    assert all(t.numerator + t.denominator <= q.numerator + q.denominator
               for t in tried)
    assert q not in tried
    assert tried == sorted(tried, key=lambda t: (
        t.numerator + t.denominator, t.denominator, t))


# ------------------------------------------------------------ shrinking

@pytest.mark.parametrize("name", ["first-price", "footnote-2", "crowdfund",
                                  "appendix-a", "mechanism-1"])
def test_shrinking_a_sampled_witness_keeps_the_gain_and_the_deviator(name):
    entry, witness = sampled_witness(name)

    small, phase = shrink(entry.mechanism, entry.shape, BOX, witness,
                          budget=2000)

    assert small.gain > 0
    assert (small.group, small.member) == (witness.group, witness.member)
    assert all(BOX.low <= q <= BOX.high for q in numbers_of(entry.shape,
                                                           small))
    assert size(numbers_of(entry.shape, small)) <= size(
        numbers_of(entry.shape, witness))
    again = exact_deviation(entry.mechanism, entry.shape, small.profile,
                            small.group, small.member, small.misreport)
    assert again.gain == small.gain
    assert phase.counts["evaluations"] <= 2000


def test_shrinking_first_price_leaves_a_value_of_1_shaded_to_0():
    entry = CATALOGUE["first-price"]
    witness = exact_deviation(entry.mechanism, entry.shape,
                              ((Fraction(37, 4),), (3,), (Fraction(1, 3),)),
                              0, 0, Fraction(31, 10))

    small, _ = shrink(entry.mechanism, entry.shape, BOX, witness, budget=500)

    assert small.profile == ((1,), (0,), (0,))
    assert small.misreport == 0 and small.gain == 1


def test_shrinking_appendix_a_from_the_papers_instance_stays_profitable():
    entry = CATALOGUE["appendix-a"]
    eps = Fraction(1, 10)
    profile = (((10 + 2 * eps, 0), (5 - eps, eps)), ((10, eps),))
    start = next(w for w in (
        exact_deviation(entry.mechanism, entry.shape, profile, 0, i, bid)
        for i, bid in [(1, (0, 10)), (0, (0, 10)), (1, (10, 10))])
        if w.gain > 0)

    small, _ = shrink(entry.mechanism, entry.shape, Box(0, 11), start,
                      budget=2000)

    assert small.gain > 0
    assert size(numbers_of(entry.shape, small)) < size(
        numbers_of(entry.shape, start))


def test_shrinking_refuses_a_witness_outside_the_box():
    entry = CATALOGUE["first-price"]
    witness = exact_deviation(entry.mechanism, entry.shape,
                              ((12,), (3,), (1,)), 0, 0, 4)

    with pytest.raises(InvalidArgument, match="12, outside the value box"):
        shrink(entry.mechanism, entry.shape, BOX, witness, budget=10)


def test_shrinking_keeps_the_condition_it_is_asked_to_keep():
    entry = CATALOGUE["first-price"]
    witness = exact_deviation(entry.mechanism, entry.shape,
                              ((Fraction(37, 4),), (3,), (Fraction(1, 3),)),
                              0, 0, Fraction(31, 10))

    def others_apart(w):
        bids = sorted(g[0] for g in w.profile)
        return bids[0] != bids[1] and w.misreport not in bids

    small, _ = shrink(entry.mechanism, entry.shape, BOX, witness,
                      budget=500, keep=others_apart)

    assert small.gain > 0 and others_apart(small)
    assert size(numbers_of(entry.shape, small)) < size(
        numbers_of(entry.shape, witness))


def test_shrinking_is_deterministic():
    entry, witness = sampled_witness("appendix-a", seed=3)

    first, _ = shrink(entry.mechanism, entry.shape, BOX, witness, budget=500)
    second, _ = shrink(entry.mechanism, entry.shape, BOX, witness, budget=500)

    assert (first.profile, first.misreport) == (second.profile,
                                                second.misreport)


@given(profiles(CATALOGUE["first-price"].shape), st.integers(1, 60))
def test_shrinking_any_first_price_shading_stays_profitable_and_small(
        profile, budget):
    entry = CATALOGUE["first-price"]
    (v,), others = profile[0], [g[0] for g in profile[1:]]
    witness = exact_deviation(entry.mechanism, entry.shape, profile, 0, 0,
                              max(others))
    assume(witness.gain > 0)

    small, phase = shrink(entry.mechanism, entry.shape, BOX, witness,
                          budget=budget)

    assert small.gain > 0
    assert phase.counts["evaluations"] <= budget
    assert size(numbers_of(entry.shape, small)) <= size(
        numbers_of(entry.shape, witness))


def test_shrinking_refuses_a_witness_without_a_gain():
    entry = CATALOGUE["vickrey"]
    witness = exact_deviation(entry.mechanism, entry.shape,
                              ((3,), (1,), (2,)), 0, 0, 5)

    with pytest.raises(InvalidArgument, match="gain is 0"):
        shrink(entry.mechanism, entry.shape, BOX, witness, budget=10)
