"""The catalogue: every entry agrees with itself on exact, batch and
symbolic numbers, keeps the claims it makes on drawn profiles, and shows
the paper's worked numbers."""

import importlib
import pkgutil
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest
import z3
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

import mechanisms
from mechanisms import CATALOGUE
from mechanisms.aggregation import willingness_to_pay
from mechanisms.cost_sharing import maximum_equal_split
from mechanisms.upper import vcg_unit_demand
from verifier.entry import Entry
from verifier.errors import InvalidShape
from verifier.mechanism import batch_profile, symbolic_profile
from verifier.model import (
    ADDITIVE, UNIT_DEMAND, Shape, harmonic, optimal_welfare,
    utility, welfare,
)
from verifier.numbers import Batch, BatchBool, Sym, SymBool
from verifier.strategies import misreports, numbers, profiles, shapes

CANDIDATE_SHAPES = (
    Shape((2, 1)), Shape((3, 2)), Shape((1, 1, 1)), Shape((1,)),
    Shape((1, 1)),
    Shape((2, 1), 2, ADDITIVE), Shape((1, 2), 3, ADDITIVE),
    Shape((2, 2, 1), 2, ADDITIVE),
    Shape((2, 1), 2, UNIT_DEMAND), Shape((3, 1), 1, UNIT_DEMAND),
    Shape((1, 2), 3, UNIT_DEMAND),
)


# Hypothesis's explain phase re-runs a failing test many times to annotate
# the report; with symbolic outcomes that costs minutes, so it is left out.
NO_EXPLAIN = tuple(phase for phase in Phase if phase != Phase.explain)


def accepted_shapes(entry, most=3):
    """The first ``most`` candidate shapes on which the entry's mechanism
    is defined."""
    found = []
    for shape in CANDIDATE_SHAPES:
        try:
            entry.mechanism.accepts(shape)
        except InvalidShape:
            continue
        found.append(shape)
    return found[:most]


CASES = [pytest.param(name, shape, id=f"{name}-{shape.describe()}")
         for name, entry in CATALOGUE.items()
         for shape in accepted_shapes(entry)]


# ------------------------------------------------------------- helpers

def parts(outcome):
    """Every entry of an outcome with its name, in a fixed order."""
    found = []

    def walk(x, name):
        if isinstance(x, (tuple, list)):
            for index, y in enumerate(x):
                walk(y, f"{name}[{index}]")
        else:
            found.append((name, x))

    for field in ("wins", "charges", "access", "payments"):
        walk(getattr(outcome, field), field)
    return found


def as_array(shape, points):
    """Profiles as the (N, n) or (N, n, m) array batch_profile reads."""
    return np.array([[[float(x) for x in bid] if shape.multi_item
                      else float(bid)
                      for group in profile for bid in group]
                     for profile in points])


def batch_value(x, row):
    """The value of a batch outcome entry at one profile of the batch."""
    if isinstance(x, (Batch, BatchBool)):
        return np.atleast_1d(x.a)[row if np.ndim(x.a) else 0]
    return x


def numbers_in(profile):
    """Every number of a profile: member after member, item after item."""
    for group in profile:
        for bid in group:
            yield from (bid if isinstance(bid, tuple) else (bid,))


def symbol_values(shape, profile):
    """(z3 variable, exact value) pairs for z3.substitute."""
    return [(symbol.t, z3.RealVal(str(value))) for symbol, value in zip(
        numbers_in(symbolic_profile(shape)), numbers_in(profile),
        strict=True)]


def evaluated(entries, pairs):
    """Symbolic outcome entries with exact values put in, as bools and
    Fractions. The entries go into one term, the arguments of an
    uninterpreted function, so z3 substitutes their shared parts once."""
    terms = [x.t for x in entries if isinstance(x, (Sym, SymBool))]
    if not terms:
        return list(entries)
    holder = z3.Function("outcome", *[t.sort() for t in terms],
                         z3.BoolSort())
    whole = z3.simplify(z3.substitute(holder(*terms), *pairs))
    values = iter(number(whole.arg(k)) for k in range(len(terms)))
    return [next(values) if isinstance(x, (Sym, SymBool)) else x
            for x in entries]


def number(term):
    """A z3 constant as a bool or a Fraction."""
    if z3.is_true(term) or z3.is_false(term):
        return z3.is_true(term)
    assert z3.is_rational_value(term), f"does not reduce to a number: {term}"
    return Fraction(term.numerator_as_long(), term.denominator_as_long())


@lru_cache(maxsize=None)
def symbolic_outcome(name, shape):
    mechanism = CATALOGUE[name].mechanism
    return mechanism.outcome(shape, symbolic_profile(shape))


def assert_batch_agrees(exact, batch, row):
    """Row ``row`` of a batch outcome equals an exact one within 1e-9, and
    its conditions are conditions."""
    for (part, want), (same, got) in zip(parts(exact), parts(batch),
                                         strict=True):
        assert part == same
        if isinstance(want, bool):
            assert isinstance(got, (bool, np.bool_, BatchBool)), part
            assert bool(batch_value(got, row)) == want, (part, row)
        else:
            assert abs(batch_value(got, row) - float(want)) <= 1e-9, (
                part, row)


def assert_symbolic_agrees(exact, symbolic, pairs):
    """A symbolic outcome with exact values put in equals the exact one."""
    names, wanted = zip(*parts(exact))
    same, entries = zip(*parts(symbolic))

    got = evaluated(entries, pairs)

    assert names == same
    for part, want, entry, value in zip(names, wanted, entries, got):
        if isinstance(want, bool):
            assert isinstance(entry, (bool, SymBool)), part
        assert value == want, part


def float_exact_batches(shape, most=3):
    return st.lists(profiles(shape, float_exact=True), min_size=1,
                    max_size=most)


# ------------------------------------------- one rule, three kinds of numbers

@pytest.mark.parametrize("name, shape", CASES)
@settings(max_examples=5, phases=NO_EXPLAIN)
@given(data=st.data())
def test_exact_batch_and_symbolic_numbers_give_one_outcome(name, shape, data):
    mechanism = CATALOGUE[name].mechanism
    points = data.draw(float_exact_batches(shape))
    fractions = data.draw(profiles(shape))

    exact = [mechanism.outcome(shape, p) for p in points + [fractions]]
    batch = mechanism.outcome(shape, batch_profile(shape, as_array(
        shape, points)))
    symbolic = symbolic_outcome(name, shape)

    for row, outcome in enumerate(exact[:-1]):
        assert_batch_agrees(outcome, batch, row)
    for at in (0, -1):
        assert_symbolic_agrees(exact[at], symbolic, symbol_values(
            shape, (points + [fractions])[at]))


@pytest.mark.parametrize("name", CATALOGUE)
@settings(max_examples=6, phases=NO_EXPLAIN)
@given(data=st.data())
def test_batch_numbers_agree_on_drawn_shapes(name, data):
    mechanism = CATALOGUE[name].mechanism
    shape = data.draw(shapes(
        max_members=1 if mechanism.groups_of_one else 3,
        valuations=mechanism.valuations, max_items=2))
    points = data.draw(float_exact_batches(shape))

    exact = [mechanism.outcome(shape, p) for p in points]
    batch = mechanism.outcome(shape, batch_profile(shape, as_array(
        shape, points)))

    for row, outcome in enumerate(exact):
        assert_batch_agrees(outcome, batch, row)


def test_every_entry_has_shapes_to_compare_on():
    names = {case.values[0] for case in CASES}

    assert names == set(CATALOGUE)


# ------------------------------------------------------ the catalogue itself

def test_every_entry_defined_in_the_package_is_in_the_catalogue():
    missing = []

    for module_info in pkgutil.walk_packages(mechanisms.__path__,
                                             mechanisms.__name__ + "."):
        module = importlib.import_module(module_info.name)
        for attribute, value in vars(module).items():
            if isinstance(value, Entry) and CATALOGUE.get(
                    value.name) is not value:
                missing.append(f"{module_info.name}.{attribute}")

    assert not missing, f"entries not in mechanisms.CATALOGUE: {missing}"


def test_catalogue_names_are_unique_and_match_their_mechanisms():
    entries = mechanisms.ENTRIES

    names = [entry.name for entry in entries]

    assert len(names) == len(set(names)) == len(CATALOGUE)
    assert all(CATALOGUE[n].mechanism.name == n for n in names)


@pytest.mark.parametrize("name", CATALOGUE)
def test_every_entry_sells_every_item_when_all_bid_1(name):
    entry = CATALOGUE[name]
    profile = tuple(tuple((1,) * entry.shape.items if entry.shape.multi_item
                          else 1 for _ in range(size))
                    for size in entry.shape.groups)

    entry.mechanism.accepts(entry.shape)
    out = entry.mechanism.outcome(entry.shape, profile)

    assert sum(any(row) for row in zip(*out.wins)) == entry.shape.items


def test_a_single_level_auction_refuses_groups_of_two():
    vickrey = CATALOGUE["vickrey"].mechanism

    with pytest.raises(InvalidShape, match=r"groups of one.*\(2, 1\)"):
        vickrey.accepts(Shape((2, 1)))


def test_a_mechanism_refuses_a_profile_of_a_class_it_is_not_defined_on():
    mechanism_2 = CATALOGUE["mechanism-2"].mechanism

    with pytest.raises(InvalidShape, match="not 'single'"):
        mechanism_2.outcome(Shape((2, 1)), [[1, 2], [3]])


def test_a_lone_bidder_in_a_vickrey_auction_wins_and_pays_nothing():
    vickrey = CATALOGUE["vickrey"].mechanism

    out = vickrey.outcome(Shape((1,)), [[5]])

    assert out.wins == ((True,),)
    assert out.payments == ((0,),)


# ------------------------------------------------- claims on drawn profiles

def drawn_profile(data, entry):
    shape = data.draw(st.sampled_from(accepted_shapes(entry)))
    return shape, data.draw(profiles(shape))


def budget_balanced(shape, profile, out):
    return all(sum(out.payments[j]) == out.charges[j]
               for j in range(shape.k))


def individually_rational(shape, profile, out):
    return all(utility(shape, profile, out, j, i) >= 0
               for j, i in shape.members())


def equal_treatment(shape, profile, out):
    return all(out.access[j][h] == out.access[j][i]
               and out.payments[j][h] == out.payments[j][i]
               for j, i in shape.members() for h in range(i)
               if profile[j][h] == profile[j][i])


CLAIM_CHECKS = {
    "budget_balance": budget_balanced,
    "individual_rationality": individually_rational,
    "equal_treatment": equal_treatment,
}


@pytest.mark.parametrize("name", [
    name for name, entry in CATALOGUE.items()
    if any(entry.claim(prop) for prop in CLAIM_CHECKS)])
@settings(max_examples=15, phases=NO_EXPLAIN)
@given(data=st.data())
def test_entries_keep_their_claims_at_drawn_profiles(name, data):
    entry = CATALOGUE[name]
    shape, profile = drawn_profile(data, entry)

    out = entry.mechanism.outcome(shape, profile)

    broken = [prop for prop, holds in CLAIM_CHECKS.items()
              if entry.claim(prop) and not holds(shape, profile, out)]
    assert not broken, f"{name} breaks {broken} at {profile}"


def with_bid(profile, j, i, bid):
    """``profile`` with member i of group j bidding ``bid``."""
    return tuple(tuple(bid if (h, g) == (j, i) else b
                       for g, b in enumerate(group))
                 for h, group in enumerate(profile))


def gain(entry, shape, values, j, i, bid):
    """What member i of group j gains by bidding ``bid`` instead."""
    truthful = entry.mechanism.outcome(shape, values)
    deviated = entry.mechanism.outcome(shape, with_bid(values, j, i, bid))
    return (utility(shape, values, deviated, j, i)
            - utility(shape, values, truthful, j, i))


@settings(max_examples=30, phases=NO_EXPLAIN)
@given(data=st.data())
def test_vickrey_shows_no_profitable_drawn_misreport_even_at_ties(data):
    entry = CATALOGUE["vickrey"]
    shape, values = drawn_profile(data, entry)
    j, i = data.draw(st.sampled_from(shape.members()))
    bid = data.draw(misreports(shape, near=values))

    gained = gain(entry, shape, values, j, i, bid)

    assert gained <= 0


def wtp_tie(profile):
    """Whether two groups' WTPs tie, or the winner's i * b_i ties its
    price: the profiles Theorem 3.1's argument leaves aside."""
    wtp = [willingness_to_pay(list(group)) for group in profile]
    p = sorted(wtp)[-2] if len(wtp) > 1 else 0
    winner = sorted(profile[wtp.index(max(wtp))], reverse=True)
    return len(set(wtp)) < len(wtp) or any(
        i * b == p for i, b in enumerate(winner, start=1))


@settings(max_examples=30, phases=NO_EXPLAIN)
@given(data=st.data())
def test_theorem_3_1_no_member_gains_away_from_wtp_ties(data):
    entry = CATALOGUE["mechanism-1"]
    shape = data.draw(st.sampled_from(accepted_shapes(entry)))
    value = st.fractions(0, 10, max_denominator=1000)
    values = tuple(tuple(data.draw(value) for _ in range(size))
                   for size in shape.groups)
    j, i = data.draw(st.sampled_from(shape.members()))
    bid = data.draw(value)
    assume(not wtp_tie(values) and not wtp_tie(with_bid(values, j, i, bid)))

    gained = gain(entry, shape, values, j, i, bid)

    assert gained <= 0


def test_at_a_wtp_tie_the_losing_groups_top_member_gains_by_bidding_up():
    # Both groups bid WTP 2. At price 2 either group would serve both its
    # members at 1 each, so whichever group a tie rule turns away, its
    # top member (value 2) gains 1 by bidding above 2: Mechanism 1 is
    # DSIC only away from WTP ties, under any tie rule.
    entry = CATALOGUE["mechanism-1"]
    shape = Shape((2, 2))
    values = ((Fraction(2), Fraction(1)), (Fraction(2), Fraction(1)))

    gained = gain(entry, shape, values, 1, 0, Fraction(4))

    assert gained == 1


# ------------------------------------------------ the paper's worked numbers

EPSILONS = [Fraction(1, 1000), Fraction(1, 10), Fraction(1, 2), Fraction(2)]


@settings(max_examples=60, phases=NO_EXPLAIN)
@given(epsilon=st.sampled_from(EPSILONS),
       g1=st.tuples(numbers(0, 20), numbers(0, 20)))
def test_appendix_a_vcg_charges_g1_ten_minus_epsilon_for_r_and_0_for_s(
        epsilon, g1):
    g2 = (Fraction(10), epsilon)

    wins, charges = vcg_unit_demand([g1, g2])

    won_r, won_s = wins[0]
    assert won_r != won_s, "G1 wins exactly one of r, s"
    assert any(wins[1]), "G2 wins at least one item"
    assert charges[0] == (10 - epsilon if won_r else 0)


@pytest.mark.parametrize("name", ["appendix-a", "appendix-a-sum",
                                  "appendix-a-max"])
@pytest.mark.parametrize("epsilon", EPSILONS[:3])
def test_appendix_a_member_2_gains_epsilon_by_bidding_high_on_s(
        name, epsilon):
    entry = CATALOGUE[name]
    shape = Shape((2, 1), 2, UNIT_DEMAND)
    values = (((10 + 2 * epsilon, 0), (5 - epsilon, epsilon)),
              ((10, epsilon),))
    lie = (((10 + 2 * epsilon, 0), (0, 100)), ((10, epsilon),))

    truthful = entry.mechanism.outcome(shape, values)
    deviated = entry.mechanism.outcome(shape, lie)

    assert truthful.wins[0] == (True, False)
    assert truthful.charges[0] == 10 - epsilon
    assert utility(shape, values, truthful, 0, 1) == 0
    assert deviated.wins[0] == (False, True)
    assert utility(shape, values, deviated, 0, 1) == epsilon


@settings(max_examples=40, phases=NO_EXPLAIN)
@given(n=st.integers(2, 12), data=st.data())
def test_theorem_3_4_big_group_is_willing_to_pay_one_minus_delta(n, data):
    delta = data.draw(st.fractions(0, Fraction(1, n - 1)).filter(
        lambda d: d > 0))
    values = [Fraction(1, i) - delta for i in range(1, n)]

    wtp = willingness_to_pay(values)

    assert wtp == 1 - delta


@pytest.mark.parametrize("lone_first", [False, True], ids=["I1", "I2"])
@pytest.mark.parametrize("n", [3, 5, 8])
def test_theorem_3_4_instances_give_mechanism_1_welfare_1(n, lone_first):
    delta = Fraction(1, 100 * n)
    big = tuple(Fraction(1, i) - delta for i in range(1, n))
    lone = (Fraction(1),)
    values = (lone, big) if lone_first else (big, lone)
    shape = Shape(tuple(map(len, values)))

    out = CATALOGUE["mechanism-1"].mechanism.outcome(shape, values)

    assert out.wins[values.index(lone)] == (True,)
    assert welfare(shape, values, out) == 1
    assert optimal_welfare(shape, values) == harmonic(n - 1) - (n - 1) * delta


@settings(max_examples=50, phases=NO_EXPLAIN)
@given(bids=st.lists(numbers(0, 10), min_size=1, max_size=8))
def test_lemma_3_3_wtp_is_at_least_total_value_over_h_n(bids):
    total = sum(bids)

    wtp = willingness_to_pay(bids)

    assert wtp * harmonic(len(bids)) >= total
    assert max(bids) <= wtp <= total


@settings(max_examples=50, phases=NO_EXPLAIN)
@given(bids=st.lists(numbers(0, 10), min_size=1, max_size=6),
       share=st.fractions(0, 1))
def test_maximum_equal_split_is_budget_balanced_when_p_is_at_most_wtp(
        bids, share):
    p = share * willingness_to_pay(bids)

    served, payments = maximum_equal_split(bids, True, p)

    assert sum(payments) == p
    for s, b, pay in zip(served, bids, payments):
        assert pay <= b if s else pay == 0
    t = sum(served)
    assert t == max((i for i, b in enumerate(sorted(bids, reverse=True), 1)
                     if i * b >= p), default=0)


@settings(max_examples=40, phases=NO_EXPLAIN)
@given(bids=st.lists(numbers(1, 10), min_size=1, max_size=6), extra=numbers(
    Fraction(1, 1000), 10))
def test_maximum_equal_split_serves_nobody_when_p_exceeds_wtp(bids, extra):
    p = willingness_to_pay(bids) + extra

    served, payments = maximum_equal_split(bids, True, p)

    assert not any(served) and sum(payments) == 0


@pytest.mark.parametrize("name", ["mechanism-1", "mechanism-2"])
@settings(max_examples=20, phases=NO_EXPLAIN)
@given(data=st.data())
def test_theorems_3_2_and_4_1_welfare_is_within_h_ell_of_opt(name, data):
    entry = CATALOGUE[name]
    shape, values = drawn_profile(data, entry)

    out = entry.mechanism.outcome(shape, values)

    assert optimal_welfare(shape, values) <= (
        harmonic(shape.ell) * welfare(shape, values, out))


def test_mechanism_1_serves_the_top_members_at_an_equal_share():
    entry = CATALOGUE["mechanism-1"]

    out = entry.mechanism.outcome(entry.shape, [[3, 2], [4, 0]])

    assert out.wins == ((True,), (False,))
    assert out.charges == (4, 0)
    assert out.payments == ((2, 2), (0, 0))
