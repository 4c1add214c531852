"""The two-level model: shapes, profiles, outcomes, plain mechanisms,
utility and welfare, and the strategies that draw them."""

import pathlib
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from mechanisms import CATALOGUE
from verifier.errors import (
    InvalidArgument, InvalidOutcome, InvalidProfile, InvalidShape,
    MechanismError,
)
from verifier.mechanism import batch_profile, plain, run_guarded
from verifier.model import (
    ADDITIVE, UNIT_DEMAND, Outcome, Shape, check_outcome, exact_profile,
    harmonic, optimal_welfare, utility, value_of, welfare,
)
from verifier.strategies import misreports, profiles, shapes
from verifier.verdict import Box

TWO_ITEMS = Shape((2, 1), 2, UNIT_DEMAND)
ROOT = pathlib.Path(__file__).resolve().parent.parent


def outcome(wins, charges, access, payments):
    """An Outcome from lists, for one item or several."""
    return Outcome(tuple(map(tuple, wins)), tuple(charges),
                   tuple(tuple(map(tuple, g)) for g in access),
                   tuple(map(tuple, payments)))


def one_item_outcome(winner, charge, access, payments):
    """Group ``winner`` wins the single item at ``charge``."""
    return outcome([[j == winner] for j in range(len(access))],
                   [charge if j == winner else 0 for j in range(len(access))],
                   [[[a] for a in g] for g in access], payments)


# ------------------------------------------------------------------ shapes

@pytest.mark.parametrize("kwargs, named", [
    ({"groups": ()}, r"groups=\(\)"),
    ({"groups": 2}, "groups=2"),
    ({"groups": (2, 0)}, r"group size 0 in groups=\(2, 0\)"),
    ({"groups": (1.5,)}, "group size 1.5"),
    ({"groups": (True,)}, "group size True"),
    ({"groups": (1,), "valuation": "submodular"}, "'submodular'"),
    ({"groups": (1,), "items": 0, "valuation": ADDITIVE}, "items=0"),
    ({"groups": (1,), "items": 2}, "items=2 with valuation='single'"),
])
def test_a_bad_shape_is_refused_naming_the_value(kwargs, named):
    with pytest.raises(InvalidShape, match=named):
        Shape(**kwargs)


def test_a_shape_counts_groups_members_and_the_largest_group():
    shape = Shape([3, 1, 2])

    facts = (shape.groups, shape.k, shape.n, shape.ell, shape.members()[:4])

    assert facts == ((3, 1, 2), 3, 6, 3, [(0, 0), (0, 1), (0, 2), (1, 0)])


@given(shape=shapes())
def test_a_shape_survives_json(shape):
    data = shape.to_json()

    again = Shape.from_json(data)

    assert again == shape


@given(shape=shapes(max_groups=2, max_members=2, valuations=ADDITIVE,
                    max_items=2, min_groups=2))
def test_drawn_shapes_keep_their_bounds(shape):
    assert shape.k == 2 and shape.ell <= 2 and shape.items <= 2
    assert shape.valuation == ADDITIVE


# ---------------------------------------------------------------- profiles

def test_a_profile_is_converted_to_fractions():
    shape = Shape((2, 1))

    profile = exact_profile(shape, [[1, 2.5], ["7/2"]])

    assert profile == ((1, Fraction(5, 2)), (Fraction(7, 2),))
    assert all(type(b) is Fraction for g in profile for b in g)


def test_numpy_numbers_are_read_as_the_numbers_they_hold():
    shape = Shape((2, 1))

    profile = exact_profile(shape, [[np.int64(3), np.float32(0.5)],
                                    [np.float64(0.25)]])

    assert profile == ((3, Fraction(1, 2)), (Fraction(1, 4),))


@pytest.mark.parametrize("profile, named", [
    ([[1, 2]], "profile has 1 groups but the shape has 2"),
    ([[1, 2], [3], [4]], "profile has 3 groups"),
    ([[1], [3]], "group 1 has 1 members but the shape says 2"),
    ([[1, 2], 3], "group 2 has 3 members but the shape says 1"),
    ([[1, -2], [3]], "member 2 of group 1 is -2: bids must be at least 0"),
    ([[1, float("nan")], [3]], "is nan: bids must be finite"),
    ([[1, 2], [float("inf")]], "is inf: bids must be finite"),
    ([[1, 2], [-float("inf")]], "is -inf"),
    ([[True, 2], [3]], "is True: a bid is a number, not a bool"),
    ([[1, 2], ["lots"]], "is 'lots': write a number"),
    ([[1, None], [3]], "is None of type NoneType"),
    ([[1, [2]], [3]], r"is \[2\]: a single-item bid is one number"),
])
def test_a_bad_single_item_profile_is_refused_naming_the_value(
        profile, named):
    shape = Shape((2, 1))

    with pytest.raises(InvalidProfile, match=named):
        exact_profile(shape, profile)


@pytest.mark.parametrize("profile, named", [
    ([[(1, 2), 3], [(1, 1)]], "is 3: with 2 items a bid is a list of 2"),
    ([[(1, 2), (1, 2, 3)], [(1, 1)]], r"is \(1, 2, 3\)"),
    ([[(1, 2), (1, -1)], [(1, 1)]], "member 2 of group 1 for item 2 is -1"),
    ([[(1, 2), (1, 2)], [(float("nan"), 1)]], "for item 1 is nan"),
])
def test_a_bad_multi_item_profile_is_refused_naming_the_value(
        profile, named):
    with pytest.raises(InvalidProfile, match=named):
        exact_profile(TWO_ITEMS, profile)


@pytest.mark.parametrize("bid", [-1, float("nan"), float("inf")])
def test_a_mechanism_refuses_a_bad_bid_before_running(bid):
    mechanism = CATALOGUE["mechanism-1"].mechanism

    with pytest.raises(InvalidProfile, match=str(bid)):
        run_guarded(mechanism, Shape((2, 1)), [[1, bid], [3]])


def test_a_batch_that_does_not_fit_the_shape_is_refused_naming_it():
    shape = Shape((2, 1))

    with pytest.raises(InvalidProfile, match=r"\(4, 2\).*\(N, 3\)"):
        batch_profile(shape, np.zeros((4, 2)))


# ---------------------------------------------------------------- outcomes

def test_a_feasible_outcome_passes_the_check():
    out = one_item_outcome(0, Fraction(2), [[True, False], [False]],
                           [[Fraction(2), 0], [0]])

    check_outcome(Shape((2, 1)), out)


@pytest.mark.parametrize("out, named", [
    (outcome([[True], [True]], [1, 1], [[[True], [False]], [[True]]],
             [[1, 0], [1]]),
     r"item 1 goes to groups \[1, 2\]"),
    (one_item_outcome(0, 1, [[True, False], [True]], [[1, 0], [0]]),
     "member 1 of group 2 has access to item 1, which group 2 did not win"),
    (one_item_outcome(0, 1, [[True, True], [False]],
                      [[Fraction(3, 2), Fraction(-1, 2)], [0]]),
     "payment of member 2 of group 1 is -1/2"),
    (one_item_outcome(0, -1, [[True, True], [False]], [[0, 0], [0]]),
     "charge of group 1 is -1"),
    (one_item_outcome(0, 1, [[True, True], [False]], [[0.5, 0.5], [0]]),
     r"payment of member 1 of group 1 is 0\.5 of type float.*"
     r"Fraction\(1, 2\) instead of 0\.5"),
    (one_item_outcome(0, 1, [[True, True], [False]],
                      [[float("nan"), 0], [0]]),
     "payment of member 1 of group 1 is nan: it must be an exact number"),
    (one_item_outcome(0, 1.0, [[True, True], [False]], [[0, 0], [0]]),
     r"charge of group 1 is 1\.0 of type float"),
    (one_item_outcome(0, 1, [[1, True], [False]], [[1, 0], [0]]),
     "access of member 1 of group 1 to item 1 is 1 of type int"),
    (outcome([[np.True_], [False]], [0, 0], [[[False], [False]], [[False]]],
             [[0, 0], [0]]),
     "whether group 1 won item 1 is np.True_ of type numpy.bool: expected"),
    (outcome([[True], [False]], [0, 0], [[[False]], [[False]]],
             [[0], [0]]),
     r"access has sizes \[1, 1\], the shape needs \[2, 1\]"),
])
def test_an_infeasible_outcome_is_refused_naming_the_value(out, named):
    with pytest.raises(InvalidOutcome, match=named):
        check_outcome(Shape((2, 1)), out)


def test_access_to_one_of_two_items_the_group_did_not_win_is_refused():
    out = outcome([[True, False], [False, True]], [1, 1],
                  [[[True, True], [False, False]], [[False, True]]],
                  [[1, 0], [1]])

    with pytest.raises(InvalidOutcome, match="access to item 2, which group"
                                             " 1 did not win"):
        check_outcome(TWO_ITEMS, out)


# -------------------------------------------------------- plain mechanisms

def sell_to_the_first_group_at_its_lowest_bid(profile):
    """Group 1 gets the item; every member pays its lowest bid / size."""
    group = profile[0]
    share = min(group) / len(group)
    return ([[True] * len(group)] + [[False] * len(g) for g in profile[1:]],
            [[share] * len(group)] + [[0] * len(g) for g in profile[1:]])


def test_a_plain_pair_of_access_and_payments_becomes_an_outcome():
    mechanism = plain(sell_to_the_first_group_at_its_lowest_bid)

    out = mechanism.outcome(Shape((2, 1)), [[4, 3], [9]])

    assert out.wins == ((True,), (False,))
    assert out.charges == (3, 0)
    assert out.access == (((True,), (True,)), ((False,),))
    assert out.payments == ((Fraction(3, 2), Fraction(3, 2)), (0,))
    assert mechanism.plain and "lowest bid" in mechanism.doc


def test_plain_access_to_several_items_is_a_set_of_item_indices():
    def first_group_takes_item_2(profile):
        return [[{1}, set()], [{0}]], [[1, 0], [Fraction(1, 2)]]

    out = plain(first_group_takes_item_2).outcome(
        TWO_ITEMS, [[(1, 2), (0, 0)], [(3, 3)]])

    assert out.wins == ((False, True), (True, False))
    assert out.access == (((False, True), (False, False)), ((True, False),))
    assert out.charges == (1, Fraction(1, 2))


@pytest.mark.parametrize("result, named", [
    (None, "returned None: return an Outcome or a pair"),
    ("access", "returned 'access': return an Outcome or a pair"),
    (([[{2}, set()], [set()]], [[0, 0], [0]]), "names item 2: items are"),
    (([[True, False], [False]], [[0, 0], [0]]), "is True: with 2 items"),
    (([[[True, False], set()], [set()]], [[0, 0], [0]]),
     "names item (True|False): .* not a list of bools"),
    (([[set(), set()]], [[0, 0]]), "access has no entry for group 2"),
    (([[set()], [set()]], [[0, 0], [0]]), r"access\[0\] has 1 entries"),
    (([[{0}, set()], [set()]], [[0.25, 0], [0]]),
     r"payment of member 1 of group 1 is 0\.25 of type float"),
    (([[{0}, set()], [set()]], [[-1, 0], [0]]),
     "payment of member 1 of group 1 is -1"),
    (([["yes", set()], [set()]], [[0, 0], [0]]),
     "access of member 1 of group 1 is 'yes': access must be a bool or a "
     "set of item indices"),
    (([[{0}, set()], [set()]], [[float("inf"), 0], [0]]),
     "payment of member 1 of group 1 is inf: it must be an exact number"),
])
def test_a_plain_result_that_is_not_an_outcome_is_refused(result, named):
    mechanism = plain(lambda profile: result, name="broken")

    with pytest.raises(InvalidOutcome, match=named):
        mechanism.outcome(TWO_ITEMS, [[(1, 2), (0, 0)], [(3, 3)]])


def test_a_plain_mechanism_runs_on_exact_numbers_only():
    mechanism = plain(sell_to_the_first_group_at_its_lowest_bid)
    shape = Shape((2, 1))

    with pytest.raises(MechanismError, match="exact numbers only"):
        mechanism.outcome(shape, batch_profile(shape, np.ones((1, 3))))


def test_a_crash_inside_a_mechanism_names_the_profile():
    def divide_by_the_last_bid(profile):
        return [[True], [False]], [[1 / profile[1][0]], [0]]

    with pytest.raises(MechanismError, match=r"ZeroDivisionError.*\[1; 0\]"):
        run_guarded(plain(divide_by_the_last_bid), Shape((1, 1)), [[1], [0]])


def test_a_non_callable_is_not_a_mechanism():
    with pytest.raises(MechanismError, match="42 is not callable"):
        plain(42)


# ------------------------------------------------------ utility and welfare

def test_utility_is_value_of_access_minus_payment():
    shape = Shape((2, 1))
    values = ((Fraction(5), Fraction(1)), (Fraction(3),))
    out = one_item_outcome(0, 3, [[True, True], [False]], [[2, 1], [0]])

    utilities = [utility(shape, values, out, j, i) for j, i in shape.members()]

    assert utilities == [3, 0, 0]
    assert welfare(shape, values, out) == 6


@pytest.mark.parametrize("valuation, worth", [(ADDITIVE, 7), (UNIT_DEMAND, 4)])
def test_a_bundle_is_worth_the_sum_or_the_best_of_its_items(valuation, worth):
    shape = Shape((1,), 3, valuation)

    value = value_of(shape, (4, 3, 9), (True, True, False))

    assert value == worth


def test_opt_gives_each_item_to_the_group_that_values_it_most():
    shape = Shape((2, 1), 2, UNIT_DEMAND)
    values = (((5, 0), (5, 1)), ((9, 9),))

    best = optimal_welfare(shape, values)

    assert best == 10 + 9


def test_harmonic_numbers_are_exact():
    assert [harmonic(n) for n in (1, 2, 3)] == [1, Fraction(3, 2),
                                                Fraction(11, 6)]


@settings(max_examples=30)
@given(data=st.data())
def test_no_catalogue_outcome_beats_opt(data):
    entry = data.draw(st.sampled_from(list(CATALOGUE.values())))
    shape = entry.shape
    values = data.draw(profiles(shape))

    out = entry.mechanism.outcome(shape, values)

    assert welfare(shape, values, out) <= optimal_welfare(shape, values)


# -------------------------------------------------------------- strategies

@settings(max_examples=40)
@given(data=st.data())
def test_drawn_profiles_fit_their_shape_and_stay_in_the_box(data):
    shape = data.draw(shapes())
    low, high = sorted(data.draw(st.tuples(st.integers(0, 5),
                                           st.integers(0, 5))))
    profile = data.draw(profiles(shape, low, high))

    exact = exact_profile(shape, profile)

    assert exact == profile
    assert all(low <= x <= high for x in flat(profile))


@settings(max_examples=40)
@given(data=st.data())
def test_float_exact_profiles_survive_a_round_trip_through_floats(data):
    shape = data.draw(shapes())

    profile = data.draw(profiles(shape, Box(Fraction(1, 3), 7),
                                 float_exact=True))

    assert all(Fraction(float(x)) == x for x in flat(profile))
    assert all(Fraction(1, 3) <= x <= 7 for x in flat(profile))


@settings(max_examples=40)
@given(data=st.data())
def test_a_misreport_can_replace_any_members_bid(data):
    shape = data.draw(shapes())
    profile = data.draw(profiles(shape))
    bid = data.draw(misreports(shape, 0, 10, near=profile))
    j, i = data.draw(st.sampled_from(shape.members()))

    lie = [list(group) for group in profile]
    lie[j][i] = bid

    assert exact_profile(shape, lie)[j][i] == bid


FIRST_FOUND = settings(max_examples=500, database=None,
                       phases=[Phase.generate])


def flat(profile):
    for group in profile:
        for bid in group:
            yield from (bid if isinstance(bid, tuple) else (bid,))


def tie_across_members(profile):
    values = list(flat(profile))
    return len(set(values)) < len(values)


@pytest.mark.parametrize("wanted", [
    tie_across_members,
    lambda p: 0 in flat(p) and 10 in flat(p),
    lambda p: any(x.denominator == 3 for x in flat(p)),
    lambda p: any(x.denominator > 100 for x in flat(p)),
], ids=["ties", "zero and box end", "thirds", "general fractions"])
def test_profiles_reach_ties_zeros_box_ends_and_general_fractions(wanted):
    shape = Shape((3, 2))

    found = find(profiles(shape), wanted, settings=FIRST_FOUND)

    assert wanted(found)


def test_misreports_near_a_profile_reach_its_bids():
    shape = Shape((1, 1))
    profile = ((Fraction(7, 3),), (Fraction(1, 7),))

    found = find(misreports(shape, near=profile),
                 lambda bid: bid == Fraction(1, 7), settings=FIRST_FOUND)

    assert found == Fraction(1, 7)


@pytest.mark.parametrize("low, high, named", [
    (-1, 10, r"\[-1, 10\]"), (5, 2, r"\[5, 2\]")])
def test_a_bad_value_box_is_refused(low, high, named):
    with pytest.raises(InvalidArgument, match=named):
        profiles(Shape((1,)), low, high)


def test_a_box_without_float_exact_numbers_is_refused():
    box = Box(Fraction(1, 3), Fraction(1, 3) + Fraction(1, 10**6))

    with pytest.raises(InvalidArgument, match="1/1024"):
        profiles(Shape((1,)), box, float_exact=True)


def test_importing_the_strategies_loads_no_solver():
    script = ("import sys, verifier.strategies; "
              "print('z3' in sys.modules)")

    run = subprocess.run([sys.executable, "-c", script], capture_output=True,
                         text=True, check=True, cwd=ROOT)

    assert run.stdout.strip() == "False"
