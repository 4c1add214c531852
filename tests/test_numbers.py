"""The three kinds of numbers and the branch-free operations on them."""

from fractions import Fraction

import numpy as np
import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.aggregation import highest_bid
from mechanisms.cost_sharing import even_split
from verifier import ops
from verifier.mechanism import batch_profile, compose, symbolic_profile
from verifier.model import Shape
from verifier.numbers import (
    BATCH, EXACT, SYMBOLIC, Batch, BatchBool, BranchOnBid, Sym, SymBool,
    kind_of,
)
from verifier.strategies import numbers

exact_numbers = numbers(0, 10, float_exact=True)
number_lists = st.lists(exact_numbers, min_size=1, max_size=5)


def as_batch(xs):
    """Each number as a batch of two profiles: the number and its double."""
    return [Batch([float(x), 2 * float(x)]) for x in xs]


def as_symbolic(xs):
    return [Sym(z3.RealVal(str(x))) for x in xs]


def row(x, at):
    """A batch value at one profile, as a float or a bool."""
    a = np.broadcast_to(x.a, (2,))
    return bool(a[at]) if a.dtype == bool else float(a[at])


def reduced(x):
    """A symbolic value over constants, as a Fraction or a bool."""
    term = z3.simplify(x.t)
    if z3.is_true(term) or z3.is_false(term):
        return z3.is_true(term)
    return Fraction(term.numerator_as_long(), term.denominator_as_long())


# ------------------------------------------------------- refusing to branch

@pytest.mark.parametrize("bid", [Batch([1.0, 2.0]), Sym(z3.Real("b"))],
                         ids=["batch", "symbolic"])
def test_an_if_on_a_comparison_of_bids_names_ops_where(bid):
    condition = bid > 1

    with pytest.raises(BranchOnBid, match=r"ops\.where"):
        if condition:
            pass


@pytest.mark.parametrize("bid", [Batch([1.0, 2.0]), Sym(z3.Real("b"))],
                         ids=["batch", "symbolic"])
def test_max_and_sorted_on_bids_refuse_and_name_the_replacements(bid):
    other = bid * 2

    with pytest.raises(BranchOnBid, match=r"ops\.maximum"):
        max(bid, other)
    with pytest.raises(BranchOnBid, match=r"ops\.sort_desc"):
        sorted([bid, other])


@pytest.mark.parametrize("condition", [
    BatchBool([True, False]), SymBool(z3.Bool("c"))],
    ids=["batch", "symbolic"])
def test_and_or_not_on_conditions_refuse(condition):
    with pytest.raises(BranchOnBid, match=r"ops\.all_of"):
        condition and True
    with pytest.raises(BranchOnBid):
        not condition


def _first_wins_if_higher(b):
    if b[0] >= b[1]:
        return [[True], [False]], [b[1], 0]
    return [[False], [True]], [0, b[0]]


@pytest.mark.parametrize("make_profile", [
    lambda shape: batch_profile(shape, np.array([[1.0, 2.0]])),
    lambda shape: symbolic_profile(shape)], ids=["batch", "symbolic"])
def test_a_mechanism_written_with_a_bare_if_fails_at_once(make_profile):
    shape = Shape((1, 1))
    mechanism = compose("bare-if", highest_bid, _first_wins_if_higher,
                        even_split)

    with pytest.raises(BranchOnBid, match=r"use ops\.where\(condition"):
        mechanism.outcome(shape, make_profile(shape))


def test_the_same_bare_if_runs_on_exact_numbers():
    shape = Shape((1, 1))
    mechanism = compose("bare-if", highest_bid, _first_wins_if_higher,
                        even_split)

    out = mechanism.outcome(shape, [[3], [2]])

    assert out.wins == ((True,), (False,))
    assert out.payments == ((2,), (0,))


@pytest.mark.parametrize("bid", [Batch([1.0]), Sym(z3.Real("b"))],
                         ids=["batch", "symbolic"])
def test_dividing_by_a_bid_names_ops_ratio(bid):
    with pytest.raises(ZeroDivisionError, match=r"ops\.ratio"):
        1 / bid
    with pytest.raises(ZeroDivisionError, match=r"ops\.ratio"):
        bid / bid


def test_a_float_constant_in_a_symbolic_rule_is_refused_with_a_fraction():
    bid = Sym(z3.Real("b"))

    with pytest.raises(TypeError, match=r"0\.1.*Fraction\(1, 10\)"):
        bid * 0.1


@pytest.mark.parametrize("bid", [Batch([1.0]), Sym(z3.Real("b"))],
                         ids=["batch", "symbolic"])
def test_bids_cannot_be_set_members(bid):
    with pytest.raises(TypeError, match="not hashable"):
        {bid}


def test_kind_of_picks_the_strongest_kind_in_nested_lists():
    batch, symbolic = Batch([1.0]), Sym(z3.Real("b"))

    kinds = (kind_of([Fraction(1), (2, 3)]), kind_of([1, [batch]]),
             kind_of([batch, (symbolic,)]))

    assert kinds == (EXACT, BATCH, SYMBOLIC)


# --------------------------------------- operations agree on every kind

OPERATIONS = {
    "maximum": ops.maximum,
    "minimum": ops.minimum,
    "total": ops.total,
    "count of positives": lambda xs: ops.count(x > 0 for x in xs),
    "count of ties with the first": lambda xs: ops.count(
        x == xs[0] for x in xs),
    "all positive": lambda xs: ops.all_of(x > 0 for x in xs),
    "any above 5": lambda xs: ops.any_of(x > 5 for x in xs),
    "not all positive": lambda xs: ops.not_(ops.all_of(x > 0 for x in xs)),
    "first or last": lambda xs: ops.where(xs[0] >= xs[-1], xs[0], xs[-1]),
    "first over last": lambda xs: ops.ratio(xs[0], xs[-1]),
    "first split by positives": lambda xs: ops.split(
        xs[0], ops.count(x > 0 for x in xs), len(xs)),
    "second largest": lambda xs: ops.sort_desc(xs + [0])[1],
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS)
@settings(max_examples=40)
@given(xs=number_lists)
def test_an_operation_gives_one_answer_on_every_kind(operation, xs):
    exact = [operation(list(xs)), operation([2 * x for x in xs])]

    batch = operation(as_batch(xs))
    symbolic = operation(as_symbolic(xs))

    if isinstance(exact[0], bool):
        assert isinstance(batch, BatchBool) and isinstance(symbolic, SymBool)
        assert [row(batch, 0), row(batch, 1)] == exact
    else:
        assert isinstance(exact[0], (Fraction, int))
        assert abs(row(batch, 0) - float(exact[0])) <= 1e-9
        assert abs(row(batch, 1) - float(exact[1])) <= 1e-9
    assert reduced(symbolic) == exact[0]


@settings(max_examples=40)
@given(xs=number_lists)
def test_sort_desc_orders_every_kind_the_same_way(xs):
    exact = ops.sort_desc(xs)

    batch = ops.sort_desc(as_batch(xs))
    symbolic = ops.sort_desc(as_symbolic(xs))

    assert exact == sorted(xs, reverse=True)
    assert [row(b, 0) for b in batch] == [float(x) for x in exact]
    assert [reduced(s) for s in symbolic] == exact


def test_ratio_is_zero_where_the_divisor_is_zero_on_every_kind():
    zero, three = Fraction(0), Fraction(3)

    answers = (ops.ratio(three, zero),
               row(ops.ratio(Batch([3.0]), Batch([0.0])), 0),
               reduced(ops.ratio(Sym(z3.RealVal(3)), Sym(z3.RealVal(0)))))

    assert answers == (0, 0.0, 0)


def test_split_stays_linear_on_symbolic_numbers():
    x, k = z3.Real("x"), z3.Real("k")

    share = ops.split(Sym(x), Sym(k), 3)

    for count in range(4):
        value = z3.simplify(z3.substitute(
            share.t, (x, z3.RealVal(6)), (k, z3.RealVal(count))))
        assert value == z3.RealVal(6 // count if count else 0)


def test_conditions_combined_on_a_batch_stay_conditions():
    bids = Batch([1.0, 2.0, 3.0])

    both = ops.all_of([bids > 1, bids < 3])
    either = ops.any_of([bids < 2, bids > 2])

    assert isinstance(both, BatchBool) and isinstance(either, BatchBool)
    assert ops.not_(both).a.tolist() == [True, False, True]
    assert (either & both).a.tolist() == [False, False, False]


def test_where_on_an_exact_condition_returns_the_chosen_value_itself():
    batch = Batch([1.0])

    chosen = ops.where(True, batch, 0)

    assert chosen is batch


def test_maximum_of_nothing_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        ops.maximum([])


def test_total_and_count_of_nothing_are_zero():
    assert ops.total([]) == 0
    assert ops.count([]) == 0
    assert ops.all_of([]) is True and ops.any_of([]) is False


def test_split_refuses_a_count_above_its_bound_on_exact_and_batch_numbers():
    with pytest.raises(ValueError, match="from 0 to 1, got 2"):
        ops.split(Fraction(4), Fraction(2), 1)
    with pytest.raises(ValueError, match="from 0 to 1"):
        ops.split(Batch([4.0]), Batch([2.0]), 1)


def test_split_leaves_a_symbolic_count_above_its_bound_unconstrained():
    x = Sym(z3.Real("x"))
    k = Sym(z3.Real("k"))
    solver = z3.Solver()

    share = ops.split(x, k, 1)
    solver.add(k.t == 2, x.t == 4, share.t == 1000)

    assert solver.check() == z3.sat
