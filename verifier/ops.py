"""Branch-free operations on bids, the same on every kind of number.

A mechanism written with these (and ``+ - * <= ==`` and friends) runs
unchanged on exact fractions, on numpy batches of profiles and on z3 terms.
Each operation looks at its arguments and computes on the strongest kind
among them (symbolic, then batch, then exact).
"""

from fractions import Fraction
from functools import cache, reduce

import numpy as np
import z3

from .numbers import (
    BATCH, EXACT, SYMBOLIC, Batch, BatchBool, Sym, SymBool, _batch_array,
    is_bool, kind_of, z3_value,
)

__all__ = [
    "where", "maximum", "minimum", "sort_desc", "count", "total",
    "all_of", "any_of", "not_", "ratio", "split",
]


def _wrap(kind, value, boolean):
    if kind == BATCH:
        return BatchBool(value) if boolean else Batch(value)
    if kind == SYMBOLIC:
        return SymBool(value) if boolean else Sym(value)
    return value


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b`` (an ``if`` on bids)."""
    if isinstance(condition, (bool, np.bool_)):
        return a if condition else b
    kind = kind_of(condition, a, b)
    boolean = is_bool(a) and is_bool(b)
    if kind == BATCH:
        value = np.where(_batch_array(condition), _batch_array(a),
                         _batch_array(b))
    else:
        value = z3.If(z3_value(condition), z3_value(a), z3_value(b))
    return _wrap(kind, value, boolean)


def _fold(values, exact, batch, symbolic):
    values = list(values)
    if not values:
        raise ValueError("needs at least one value")
    kind = kind_of(values)
    if kind == EXACT:
        return exact(values)
    if kind == BATCH:
        value = np.asarray(reduce(batch, (_batch_array(v) for v in values)))
        return _wrap(kind, value, value.dtype == bool)
    return reduce(symbolic, values)


def maximum(values):
    """The largest of ``values`` (at least one)."""
    return _fold(values, max, np.maximum, lambda a, b: where(a >= b, a, b))


def minimum(values):
    """The smallest of ``values`` (at least one)."""
    return _fold(values, min, np.minimum, lambda a, b: where(a <= b, a, b))


def sort_desc(values):
    """``values`` in decreasing order, as a list."""
    values = list(values)
    kind = kind_of(values)
    if kind == EXACT:
        return sorted(values, reverse=True)
    if kind == BATCH:
        out = list(np.broadcast_arrays(
            *(np.asarray(_batch_array(v), dtype=float) for v in values)))
        for i, j in _merge_exchange(len(out)):
            out[i], out[j] = (np.maximum(out[i], out[j]),
                              np.minimum(out[i], out[j]))
        return [Batch(a) for a in out]
    return _sorting_network(values)


@cache
def _merge_exchange(n):
    """The comparators (i, j), i < j, of Batcher's merge-exchange sort on
    n positions (Knuth, TAOCP 3, Algorithm 5.2.2M): putting the larger at
    i each time sorts in decreasing order.

    On batches this beats np.sort across arrays, which strides through
    memory, and keeps every sorted position a contiguous array.
    """
    pairs, t = [], (n - 1).bit_length()
    p = 1 << t >> 1
    while p > 0:
        q, r, d = 1 << t >> 1, 0, p
        while True:
            pairs += [(i, i + d) for i in range(n - d) if i & p == r]
            if q == p:
                break
            d, q, r = q - p, q >> 1, p
        p >>= 1
    return tuple(pairs)


def _sorting_network(values):
    """Batcher's merge-exchange network with maximum and minimum as
    comparators, on the terms taken in a canonical order (z3's term ids).

    The canonical order makes the sorted terms the same, term for term,
    whatever order the values come in, so a solver sees at once that a
    rule which only sorts a group's bids treats its members alike.
    """
    out = sorted(values, key=lambda v: z3_value(v).get_id())
    for i, j in _merge_exchange(len(out)):
        out[i], out[j] = (maximum([out[i], out[j]]),
                          minimum([out[i], out[j]]))
    return out


def count(conditions):
    """How many of ``conditions`` hold, as a number."""
    conditions = list(conditions)
    kind = kind_of(conditions)
    if kind == EXACT:
        return Fraction(sum(1 for c in conditions if c))
    if kind == BATCH:
        return Batch(sum(np.asarray(_batch_array(c), dtype=float)
                         for c in conditions))
    return Sym(z3.Sum([z3.If(z3_value(c), z3.RealVal(1), z3.RealVal(0))
                       for c in conditions]))


def total(values):
    """The sum of ``values`` (0 for none)."""
    values = list(values)
    kind = kind_of(values)
    if kind == SYMBOLIC:
        return Sym(z3.Sum([z3_value(v) for v in values]))
    return sum(values, Fraction(0))


def all_of(conditions):
    """Whether every condition holds (``and`` on bids)."""
    return _fold(list(conditions) or [True], all, np.logical_and,
                 lambda a, b: SymBool(z3.And(z3_value(a), z3_value(b))))


def any_of(conditions):
    """Whether some condition holds (``or`` on bids)."""
    return _fold(list(conditions) or [False], any, np.logical_or,
                 lambda a, b: SymBool(z3.Or(z3_value(a), z3_value(b))))


def not_(condition):
    """The negation of a condition (``not`` on bids)."""
    if isinstance(condition, (bool, np.bool_)):
        return not condition
    return ~condition


def ratio(x, y):
    """``x / y``, and 0 where ``y`` is 0."""
    kind = kind_of(x, y)
    if kind == EXACT:
        # tests on plain copies: they are part of ratio, not comparisons
        # the mechanism makes (see verifier.ties)
        return Fraction(0) if Fraction(y) == 0 else _exact(x) / y
    if kind == BATCH:
        xa, ya = _batch_array(x), _batch_array(y)
        safe = np.where(ya == 0, 1.0, ya)
        return Batch(np.where(ya == 0, 0.0, xa / safe))
    yt = z3_value(y)
    return Sym(z3.If(yt == 0, z3.RealVal(0), z3_value(x) / yt))


def _exact(x):
    """x as a Fraction; a Fraction (or subclass) is kept as it is."""
    return x if isinstance(x, Fraction) else Fraction(x)


def split(x, k, most):
    """``x / k`` for a whole number ``k`` from 0 to ``most``; 0 where k is 0.

    Unlike :func:`ratio` this stays linear on symbolic numbers, because it
    only ever divides by constants.
    """
    kind = kind_of(x, k)
    if kind == EXACT:
        whole = Fraction(k)
        if whole.denominator != 1 or not 0 <= whole <= most:
            raise ValueError(
                f"ops.split divides by a whole number from 0 to {most}, "
                f"got {whole}: raise most= to the largest count possible")
        return Fraction(0) if whole == 0 else _exact(x) / whole
    if kind == BATCH:
        ka = np.asarray(_batch_array(k), dtype=float)
        if np.any((ka < 0) | (ka > most) | (ka != np.round(ka))):
            raise ValueError(
                f"ops.split divides by a whole number from 0 to {most}, "
                f"got {ka[(ka < 0) | (ka > most) | (ka != np.round(ka))][0]}"
                f": raise most= to the largest count possible")
        return Batch(np.where(ka > 0, _batch_array(x) / np.maximum(ka, 1),
                              0.0))
    # Outside 0..most the share is left unconstrained, so that no proof can
    # rest on a count the exact numbers would refuse.
    kt, xt = z3_value(k), z3_value(x)
    share = z3.If(kt == 0, z3.RealVal(0), z3.FreshReal("split"))
    for c in range(most, 0, -1):
        share = z3.If(kt == c, xt / c, share)
    return Sym(share)
