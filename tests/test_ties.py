"""Ties: min_gap on exact profiles, and the solver's region away from
ties, which must be the same region."""

import math
from fractions import Fraction
from functools import cache

import z3
from hypothesis import given, settings

from mechanisms import CATALOGUE
from verifier import ops, smt, ties
from verifier.deviation import exact_deviation
from verifier.mechanism import plain, symbolic_profile
from verifier.model import Shape
from verifier.numbers import Sym
from verifier.strategies import profiles

MECHANISM_1 = CATALOGUE["mechanism-1"].mechanism
VICKREY = CATALOGUE["vickrey"].mechanism


def test_a_tie_of_group_bids_has_gap_zero():
    # WTP of group 1 is max(3, 2 * 2) = 4; of group 2, max(4, 2 * 0) = 4
    profile = [[3, 2], [4, 0]]

    gap = ties.min_gap(MECHANISM_1, Shape((2, 2)), profile)

    assert gap == 0


def test_a_bid_compared_with_its_own_sorted_copy_is_no_tie():
    # gaps: 5-1, 17/2-2, WTPs 5 and 17/2, fits 17/2-5 and 2*2 vs 5 (gap 1);
    # each member is also compared with the sorted bids, itself included
    profile = [[5, 1], [Fraction(17, 2), 2]]

    gap = ties.min_gap(MECHANISM_1, Shape((2, 2)), profile)

    assert gap == 1


def test_equal_bids_inside_a_group_are_a_tie():
    gap = ties.min_gap(MECHANISM_1, Shape((2, 2)), [[2, 2], [7, 1]])

    assert gap == 0


def test_vickrey_gap_is_the_closest_pair_of_bids_it_compares():
    gap = ties.min_gap(VICKREY, Shape((1, 1, 1)),
                       [[3], [5], [Fraction(9, 2)]])

    assert gap == Fraction(1, 2)


def test_a_mechanism_that_compares_nothing_is_never_at_a_tie():
    gap = ties.min_gap(VICKREY, Shape((1,)), [[3]])

    assert gap == math.inf


def test_equal_polynomials_are_degenerate_and_equal_values_are_not():
    def rule(profile):
        (x, y), = profile
        same = x + x >= 2 * x          # the same polynomial: no tie
        tie = x >= y                   # different bids: a tie when equal
        return [[same, tie]], [[0, 0]]
    mechanism = plain(rule, "compare")
    shape = Shape((2,))

    assert ties.min_gap(mechanism, shape, [[3, 5]]) == 2
    assert ties.min_gap(mechanism, shape, [[4, 4]]) == 0


def test_robust_checks_both_profiles_of_a_witness():
    shape = Shape((1, 1))
    first_price = CATALOGUE["first-price"].mechanism
    # bidder 1 (value 5) shades to 3 against a bid of 2: no tie anywhere
    away = exact_deviation(first_price, shape, [[5], [2]], 0, 0, 3)
    # shading to exactly 2 ties the other bid at the deviated profile
    tied = exact_deviation(first_price, shape, [[5], [2]], 0, 0, 2)

    assert ties.robust(first_price, shape, away, Fraction(1, 100))
    assert not ties.robust(first_price, shape, tied, Fraction(1, 100))


def test_recording_collects_comparisons_of_bids_only():
    x, y = Sym(z3.Real("x")), Sym(z3.Real("y"))

    with ties.recording() as found:
        x >= y
        ops.split(x, Sym(z3.Real("k")), 3)
        ops.ratio(x, y)
    y > x

    assert len(found) == 1
    assert found[0][0].eq(x.t) and found[0][1].eq(y.t)


def test_min_gap_module_holds_no_solver():
    names = {getattr(obj, "__name__", "") for obj in vars(ties).values()}

    assert "z3" not in names and "verifier.smt" not in names


# ----------------------------------- the solver's region is the same one

@cache
def _region(name, shape, margin):
    """The solver's constraint 'away from ties' at one symbolic profile."""
    mechanism = CATALOGUE[name].mechanism
    v = symbolic_profile(shape, "v")
    with ties.recording() as compared:
        mechanism.outcome(shape, v)
    held, _ = smt.away_from_ties(compared, margin)
    return smt.leaves(v), z3.And(*held)


def _region_holds(name, shape, margin, profile):
    names, region = _region(name, shape, margin)
    numbers = [x for group in profile for bid in group
               for x in (bid if isinstance(bid, tuple) else (bid,))]
    pairs = [(t, z3.RealVal(f"{q.numerator}/{q.denominator}"))
             for t, q in zip(names, map(Fraction, numbers))]
    return z3.is_true(z3.simplify(z3.substitute(region, *pairs)))


def _agrees(name, shape, profile):
    mechanism = CATALOGUE[name].mechanism
    gap = ties.min_gap(mechanism, shape, profile)
    for margin in (Fraction(1, 100), Fraction(1, 2)):
        assert _region_holds(name, shape, margin, profile) == (
            gap >= margin), (profile, margin, gap)


@settings(max_examples=60)
@given(profiles(Shape((2, 2))))
def test_solver_region_matches_min_gap_on_mechanism_1(profile):
    _agrees("mechanism-1", Shape((2, 2)), profile)


@settings(max_examples=40)
@given(profiles(Shape((2, 1), 2, "unit-demand")))
def test_solver_region_matches_min_gap_on_appendix_a(profile):
    _agrees("appendix-a", Shape((2, 1), 2, "unit-demand"), profile)


@settings(max_examples=40)
@given(profiles(Shape((2, 1))))
def test_solver_region_matches_min_gap_on_a_crowdfund(profile):
    _agrees("crowdfund", Shape((2, 1)), profile)


def test_a_plain_mechanism_comparing_untracked_copies_is_not_called_robust():
    from verifier.mechanism import plain
    from verifier.search import check

    def tie_is_free(profile):
        a, b = Fraction(profile[0][0]), Fraction(profile[1][0])
        if a == b:
            return [[True], [False]], [[0], [0]]
        top = 0 if a > b else 1
        return ([[top == 0], [top == 1]],
                [[b if top == 0 else 0], [a if top == 1 else 0]])

    verdict = check(plain(tie_is_free), Shape((1, 1)), samples=2000,
                    engine="sample")

    assert verdict.status == "refuted"
    assert verdict.witness.robust is not True
