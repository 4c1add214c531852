"""The path-forking solver reads plain Python mechanisms exactly.

Plain rewrites of catalogue mechanisms (tests/plain_mechanisms.py) must
agree with the catalogue on exact profiles, and their merged symbolic
outcomes must equal the catalogue's symbolic outcomes; flaws that sampling
cannot hit must be found by the solver and re-checked on Fractions; and
whatever the solver could not follow must be named with its line.
"""

import inspect
import sys
from fractions import Fraction
from functools import cache

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

import plain_mechanisms as pm
from mechanisms import CATALOGUE
from verifier import smt, symexec
from verifier.deviation import exact_deviation
from verifier.errors import InvalidArgument, MechanismError
from verifier.guard import time_limited
from verifier.mechanism import batch_profile, plain, symbolic_profile
from verifier.model import ADDITIVE, Shape, utility
from verifier.numbers import Sym, z3_value
from verifier.strategies import profiles
from verifier.symexec import (
    DEFAULT_PATH_BUDGET, ForkingNumber, solver_mechanism, symbolic_mechanism,
)
from verifier.verdict import Box

BOX = Box(Fraction(0), Fraction(10))

REWRITES = [
    (pm.vickrey, "vickrey", Shape((1, 1, 1))),
    (pm.first_price, "first-price", Shape((1, 1, 1))),
    (pm.mechanism_1, "mechanism-1", Shape((2, 2))),
    (pm.mechanism_1, "mechanism-1", Shape((3, 1))),
    (pm.mechanism_2, "mechanism-2", Shape((2, 1), 2, ADDITIVE)),
    (pm.crowdfund, "crowdfund", Shape((2, 1))),
]
IDS = [f"{name}-{shape.groups}" for _, name, shape in REWRITES]


@cache
def explored(fn, shape, path_budget=DEFAULT_PATH_BUDGET):
    return symbolic_mechanism(fn, shape, BOX, path_budget=path_budget)


def terms(outcome):
    """Every field of an outcome as z3 terms, in one flat list."""
    leaves = ([w for row in outcome.wins for w in row]
              + list(outcome.charges)
              + [a for group in outcome.access for member in group
                 for a in member]
              + [p for group in outcome.payments for p in group])
    return [z3_value(x) for x in leaves]


def at(term, shape, profile):
    """The value of a term over symbolic_profile(shape) at an exact
    profile: a bool or a Fraction."""
    names = [x.t for group in symbolic_profile(shape) for bid in group
             for x in (bid if shape.multi_item else (bid,))]
    values = [z3_value(Fraction(x)) for group in profile for bid in group
              for x in (bid if shape.multi_item else (bid,))]
    value = z3.simplify(z3.substitute(term, *zip(names, values)))
    if z3.is_true(value) or z3.is_false(value):
        return z3.is_true(value)
    return Fraction(value.as_fraction())


def in_box(profile):
    """Every bid of a symbolic profile in the box, as z3 constraints."""
    return [c for group in profile for bid in group
            for x in (bid if isinstance(bid, tuple) else (bid,))
            for c in (x.t >= BOX.low, x.t <= BOX.high)]


def line_of(fn, text):
    """The line of ``fn``'s file holding ``text``."""
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, line in enumerate(lines) if text in line)


def solver_witness(result, shape, j, i):
    """A profile and misreport where the merged outcome gives member i of
    group j a gain above 0, in exact numbers, or None."""
    values = symbolic_profile(shape, "v")
    bid = Sym(z3.Real("misreport"))
    deviated = tuple(tuple(bid if (g, m) == (j, i) else b
                           for m, b in enumerate(group))
                     for g, group in enumerate(values))
    rule = result.rule_for_symbolic
    gain = (utility(shape, values, rule(deviated), j, i)
            - utility(shape, values, rule(values), j, i))
    solver = z3.Solver()
    solver.add(*in_box(values), *in_box([[bid]]), gain.t > 0)
    if solver.check() != z3.sat:
        return None
    model = solver.model()

    def exact(x):
        return Fraction(model.eval(x.t, model_completion=True).as_fraction())
    profile = tuple(tuple(exact(b) for b in group) for group in values)
    return profile, exact(bid)


# ------------------------------------------------ agreement with catalogue

@pytest.mark.parametrize("fn, name, shape", REWRITES, ids=IDS)
@settings(max_examples=30)
@given(data=st.data())
def test_plain_rewrites_agree_with_the_catalogue_on_exact_profiles(
        fn, name, shape, data):
    profile = data.draw(profiles(shape, BOX))

    mine = plain(fn).outcome(shape, profile)
    theirs = CATALOGUE[name].mechanism.outcome(shape, profile)

    assert mine == theirs


@pytest.mark.parametrize("fn, name, shape", REWRITES, ids=IDS)
@settings(max_examples=15)
@given(data=st.data())
def test_merged_outcome_equals_the_catalogue_at_drawn_points(
        fn, name, shape, data):
    result = explored(fn, shape)
    bids = symbolic_profile(shape)
    merged = terms(result.rule_for_symbolic(bids))
    catalogue = terms(CATALOGUE[name].mechanism.rule(bids))
    profile = data.draw(profiles(shape, BOX))

    exact = terms(plain(fn).outcome(shape, profile))

    assert result.complete
    assert [at(t, shape, profile) for t in merged] == \
        [at(t, shape, profile) for t in catalogue] == \
        [at(t, shape, profile) for t in exact]


@pytest.mark.parametrize("fn, name, shape", REWRITES[:-1], ids=IDS[:-1])
def test_merged_outcome_equals_the_catalogue_everywhere_in_the_box(
        fn, name, shape):
    bids = symbolic_profile(shape)
    merged = terms(explored(fn, shape).rule_for_symbolic(bids))
    catalogue = terms(CATALOGUE[name].mechanism.rule(bids))
    solver = z3.Solver()
    solver.add(*in_box(bids))

    solver.add(z3.Or([m != c for m, c in zip(merged, catalogue)]))

    assert solver.check() == z3.unsat


def test_a_dsic_catalogue_rewrite_is_proved_dsic_on_its_merged_outcome():
    shape = Shape((2, 2))
    result = explored(pm.mechanism_1, shape)

    found = solver_witness(result, shape, 0, 0)

    assert found is None


# -------------------------------------------------- flaws sampling misses

def test_solver_finds_the_misreport_that_needs_an_exact_equality():
    shape = Shape((1, 1))
    result = explored(pm.rebate_at_plus_one, shape)

    profile, misreport = solver_witness(result, shape, 0, 0)
    witness = exact_deviation(plain(pm.rebate_at_plus_one), shape, profile,
                              0, 0, misreport)

    assert witness.gain > 0
    assert misreport == profile[1][0] + 1


def test_solver_finds_a_flaw_confined_to_a_band_of_width_one_hundredth():
    shape = Shape((1, 1))
    result = explored(pm.band_discount, shape)

    profile, misreport = solver_witness(result, shape, 0, 0)
    witness = exact_deviation(plain(pm.band_discount), shape, profile, 0, 0,
                              misreport)

    assert witness.gain > 0
    assert 5 <= misreport < Fraction(501, 100)


def test_the_engine_queries_a_merged_outcome_unchanged():
    shape = Shape((1, 1))
    flawed = plain(pm.rebate_at_plus_one)
    sound = plain(pm.vickrey)

    found = smt.find_deviation(
        solver_mechanism(flawed, explored(pm.rebate_at_plus_one, shape)),
        shape, BOX, 0, 0, timeout=10)
    proved = smt.prove_dsic(
        solver_mechanism(sound, explored(pm.vickrey, shape)), shape, BOX,
        timeout=10)

    assert found.status == "sat" and found.witness.gain > 0
    assert [answer.status for answer in proved] == ["unsat", "unsat"]


# ------------------------------------------------------------ exactness

def test_sorting_a_group_of_six_finishes_within_the_default_budget():
    shape = Shape((6, 1))

    result = explored(pm.sorted_top_two, shape)

    assert result.complete
    assert result.stats.explored == 720
    assert result.stats.cut == 0 and not result.fallbacks


@pytest.mark.parametrize("fn, shape", [
    (pm.floored_vickrey, Shape((1, 1))),
    (pm.counted_price, Shape((3,))),
    (pm.arithmetic_tour, Shape((5,))),
], ids=["floor", "range-of-a-count", "arithmetic"])
@settings(max_examples=20)
@given(data=st.data())
def test_floor_modulo_counts_and_powers_stay_exact(fn, shape, data):
    result = explored(fn, shape)
    merged = terms(result.rule_for_symbolic(symbolic_profile(shape)))
    profile = data.draw(profiles(shape, BOX))

    exact = terms(plain(fn).outcome(shape, profile))

    assert result.complete
    assert [at(t, shape, profile) for t in merged] == \
        [at(t, shape, profile) for t in exact]


def test_a_division_by_a_bid_forks_where_the_divisor_is_zero():
    shape = Shape((1, 1))

    result = explored(pm.crashing_on_ties, shape)

    assert not result.complete
    assert [f.operation for f in result.fallbacks] == [
        "raised ZeroDivisionError: division by zero"]
    assert result.fallbacks[0].line == line_of(pm.crashing_on_ties, "1 / (")


# ------------------------------------------------ fallbacks and budgets

def test_a_float_fallback_names_the_line_of_the_mechanism():
    shape = Shape((1, 1))

    result = explored(pm.float_price, shape)

    (fallback,) = result.fallbacks
    line = line_of(pm.float_price, "float(price)")
    assert (fallback.operation, fallback.line) == ("float()", line)
    assert fallback.filename == inspect.getsourcefile(pm.float_price)
    assert f"float() at plain_mechanisms.py:{line}" in result.describe()
    assert not result.complete


def test_under_a_time_limit_the_fallback_still_names_the_users_line():
    limited = time_limited(plain(pm.float_price), 5)

    result = symbolic_mechanism(limited, Shape((1, 1)), BOX)

    (fallback,) = result.fallbacks
    assert fallback.filename == inspect.getsourcefile(pm.float_price)
    assert fallback.line == line_of(pm.float_price, "float(price)")


def exits_above_five(profile):
    """Vickrey for two, except that a first bid above 5 ends the program."""
    (a,), (b,) = profile
    if a > 5:
        sys.exit(1)
    return [[a >= b], [a < b]], [[b if a >= b else 0], [0 if a >= b else a]]


def test_a_call_of_sys_exit_ends_its_path_as_a_fallback():
    result = symbolic_mechanism(exits_above_five, Shape((1, 1)), BOX)

    (fallback,) = result.fallbacks
    assert fallback.operation == "called sys.exit(1)"
    assert fallback.line == line_of(exits_above_five, "sys.exit(1)")
    assert not result.complete and result.stats.explored >= 1


def test_the_uncovered_region_is_where_a_fallback_ended_the_path():
    shape = Shape((1, 1))
    result = explored(pm.float_price, shape)

    def uncovered(profile):
        return z3.is_true(z3.simplify(result.uncovered(profile).t))

    assert uncovered(((Fraction(3),), (Fraction(1),)))
    assert not uncovered(((Fraction(3),), (Fraction(0),)))
    assert uncovered(((Fraction(11),), (Fraction(0),)))


def test_an_uncovered_region_leaves_the_outcome_unconstrained():
    shape = Shape((1, 1))
    result = explored(pm.float_price, shape)
    bids = symbolic_profile(shape)
    payment = result.rule_for_symbolic(bids).payments[0][0]

    solver = z3.Solver()
    solver.add(result.uncovered(bids).t, payment.t == 1234)

    assert solver.check() == z3.sat


def test_a_path_budget_cuts_exploration_and_says_so():
    shape = Shape((2, 2))

    result = explored(pm.mechanism_1, shape, path_budget=5)

    assert not result.complete and not result.fallbacks
    assert result.stats.runs == 5 and result.stats.cut > 0
    assert "incomplete: path budget" in result.describe()


@settings(max_examples=15)
@given(data=st.data())
def test_a_cut_exploration_is_still_exact_where_it_is_covered(data):
    shape = Shape((2, 2))
    result = explored(pm.mechanism_1, shape, path_budget=5)
    bids = symbolic_profile(shape)
    merged = terms(result.rule_for_symbolic(bids))
    profile = data.draw(profiles(shape, BOX))

    exact = terms(plain(pm.mechanism_1).outcome(shape, profile))

    if not at(result.uncovered(bids).t, shape, profile):
        assert [at(t, shape, profile) for t in merged] == \
            [at(t, shape, profile) for t in exact]


def test_a_query_the_solver_cannot_decide_cuts_that_side(monkeypatch):
    monkeypatch.setattr(symexec._Explorer, "_check",
                        lambda self, condition: (z3.unknown, None))

    result = symbolic_mechanism(pm.vickrey, Shape((1, 1)), BOX)

    assert not result.complete and result.stats.cut == 1
    assert result.stats.explored == 1
    assert "solver timeout" in result.describe()


def nondeterministic(runs=[]):
    """Compares its bids in a different order on every run."""
    def rule(profile):
        runs.append(None)
        a, b = profile[0][0], profile[1][0]
        first = a > b if len(runs) == 1 else a > 2 * b
        return [[bool(first)], [not first]], [[0], [0]]
    return rule


def test_a_function_that_branches_differently_between_runs_is_a_fallback():
    result = symbolic_mechanism(nondeterministic(), Shape((1, 1)), BOX)

    assert [f.operation for f in result.fallbacks] == [
        "a branch that differs between runs"]


def test_held_apart_counts_only_the_comparisons_on_the_profiles_path():
    shape = Shape((1, 1))
    result = explored(pm.vickrey, shape)

    def held(a, b):
        term = result.held_apart(((Fraction(a),), (Fraction(b),)),
                                 Fraction(1, 100))
        return z3.is_true(z3.simplify(term.t))

    assert held(3, 1) and held(1, 3)
    assert not held(2, 2) and not held(2, Fraction(401, 200))


def test_comparisons_name_both_sides_at_the_profile():
    shape = Shape((1, 1))
    result = explored(pm.vickrey, shape)

    (pair,) = result.comparisons(((Fraction(3),), (Fraction(1),)))

    assert sorted(z3.simplify(x.t).as_long() for x in pair) == [1, 3]


# ------------------------------------------------------- the interface

def test_an_exact_profile_runs_the_function_itself():
    shape = Shape((1, 1, 1))
    result = explored(pm.vickrey, shape)

    out = result.rule_for_symbolic(((3,), (5,), (4,)))

    assert out == plain(pm.vickrey).outcome(shape, ((3,), (5,), (4,)))


def test_a_batch_profile_is_refused_with_the_fix():
    shape = Shape((1, 1))
    result = explored(pm.vickrey, shape)

    with pytest.raises(MechanismError, match="sample the plain mechanism"):
        result.rule_for_symbolic(batch_profile(shape, [[1, 2], [3, 4]]))


def test_a_forking_number_outside_an_exploration_says_what_it_needs():
    bid = ForkingNumber(z3.Real("x"))

    with pytest.raises(RuntimeError, match="outside symbolic_mechanism"):
        bool(bid > 1)


def test_an_empty_budget_is_refused():
    with pytest.raises(InvalidArgument, match="path_budget=0"):
        symbolic_mechanism(pm.vickrey, Shape((1, 1)), BOX, path_budget=0)
