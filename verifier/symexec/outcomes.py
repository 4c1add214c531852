"""Bids and outcomes as z3 terms.

An exploration runs the function on fresh z3 reals, one per bid
component, each held in a :class:`ForkingNumber`; what a run returns (an
Outcome or a pair of access and payments) is read into one flat tuple of
z3 terms in the order of :func:`_layout`.
"""

import itertools
from fractions import Fraction
from numbers import Rational

import numpy as np
import z3

from ..errors import InvalidOutcome
from ..model import Outcome
from ..numbers import z3_value
from .forking import ForkingBool, ForkingNumber

_EXPLORATIONS = itertools.count(1)


def _generic_bids(shape):
    """Fresh z3 reals, one per bid component, in member order."""
    run = next(_EXPLORATIONS)
    return [z3.Real(f"symexec{run}_{j + 1}_{i + 1}_{r + 1}")
            for j, i in shape.members() for r in range(shape.items)]


def _in_box(terms, box):
    low, high = z3_value(box.low), z3_value(box.high)
    return [c for t in terms for c in (low <= t, t <= high)]


def _forking_profile(shape, variables):
    bids = iter(ForkingNumber(v) for v in variables)
    if not shape.multi_item:
        return tuple(tuple(next(bids) for _ in range(size))
                     for size in shape.groups)
    return tuple(tuple(tuple(next(bids) for _ in range(shape.items))
                       for _ in range(size)) for size in shape.groups)


def _layout(shape):
    """The sort of every outcome field in flat order: wins, charges,
    access, payments."""
    k, m, n = shape.k, shape.items, shape.n
    return ([z3.BoolSort()] * (k * m) + [z3.RealSort()] * k
            + [z3.BoolSort()] * (n * m) + [z3.RealSort()] * n)


def _outcome_terms(shape, result, joined):
    """The flat tuple of z3 terms of what one run returned; ``joined(join,
    terms)`` builds z3.Or and z3.Sum."""
    if isinstance(result, Outcome):
        return _outcome_fields(shape, result)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise InvalidOutcome(
            f"returned {type(result).__name__}: return an Outcome or a "
            f"pair (access, payments)")
    raw_access, raw_payments = result
    access = [[_access_row(shape, a) for a in group] for group in _rows(
        raw_access, shape.groups, "access")]
    payments = [[_amount(p, "payment") for p in group] for group in _rows(
        raw_payments, shape.groups, "payments")]

    wins = [joined(z3.Or, [member[r] for member in group])
            for group in access for r in range(shape.items)]
    charges = [joined(z3.Sum, group) for group in payments]
    return tuple(wins + charges
                 + [a for group in access for member in group for a in member]
                 + [p for group in payments for p in group])


def _outcome_fields(shape, out):
    wins = _rows(out.wins, [shape.items] * shape.k, "wins")
    charges = _rows([out.charges], [shape.k], "charges")[0]
    access = _rows(out.access, shape.groups, "access")
    members = [_rows([member], [shape.items], "access of a member")[0]
               for group in access for member in group]
    payments = _rows(out.payments, shape.groups, "payments")
    return tuple([_truth(w, "wins") for row in wins for w in row]
                 + [_amount(c, "charge") for c in charges]
                 + [_truth(a, "access") for row in members for a in row]
                 + [_amount(p, "payment") for row in payments for p in row])


def _rows(rows, sizes, what):
    try:
        rows = [list(row) for row in rows]
    except TypeError:
        raise InvalidOutcome(f"{what} is not a list per group") from None
    if [len(row) for row in rows] != list(sizes):
        raise InvalidOutcome(
            f"{what} has sizes {[len(row) for row in rows]}, the shape "
            f"needs {list(sizes)}")
    return rows


def _truth(x, what):
    if isinstance(x, ForkingBool):
        return x.t
    if isinstance(x, (bool, np.bool_)):
        return z3.BoolVal(bool(x))
    raise InvalidOutcome(f"{what} holds {x!r}: expected True or False")


def _amount(x, what):
    if isinstance(x, ForkingNumber):
        return x.t
    if isinstance(x, Rational) and not isinstance(x, (bool, np.bool_)):
        return z3_value(Fraction(x))
    raise InvalidOutcome(
        f"{what} {x!r} of type {type(x).__name__}: expected an exact number")


def _access_row(shape, a):
    if isinstance(a, (bool, np.bool_, ForkingBool)):
        if shape.items != 1:
            raise InvalidOutcome(
                f"access {a!r} is one truth value: with {shape.items} items "
                f"give a set of item indices")
        return [_truth(a, "access")]
    try:
        chosen = set(a)
    except TypeError:
        raise InvalidOutcome(
            f"access {a!r}: give a bool or a set of item indices") from None
    if any(not isinstance(r, int) or not 0 <= r < shape.items
           for r in chosen):
        raise InvalidOutcome(
            f"access {sorted(chosen, key=repr)} names an item outside "
            f"0..{shape.items - 1}")
    return [z3.BoolVal(r in chosen) for r in range(shape.items)]

