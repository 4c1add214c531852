"""Hypothesis strategies for shapes, profiles and misreports.

Mechanisms go wrong at ties, at zero and at the ends of the value box, so
these strategies draw such numbers on purpose: a profile reuses a small
pool of values (ties), and every number is often 0, a box end or a point
of a grid with small denominators, besides a general fraction.

Numbers are exact ``Fraction``s. With ``float_exact=True`` every number is
a multiple of 1/1024, which a float holds exactly, so a batch (float) run
makes the same comparisons of sums and multiples as an exact one.

Usage::

    from hypothesis import given
    from verifier.strategies import shapes, profiles

    @given(shapes().flatmap(profiles))
    def test_something(profile): ...
"""

import math
from fractions import Fraction
from functools import partial

from hypothesis import strategies as st

__all__ = ["numbers", "shapes", "profiles", "misreports"]

VALUATIONS = ("single", "additive", "unit-demand")
SMALL_DENOMINATORS = (1, 2, 3, 4, 5, 6, 10)
FLOAT_EXACT_DENOMINATORS = (1, 2, 4, 8, 1024)


def _bounds(box_low, box_high):
    """(low, high) as Fractions; ``box_low`` may be a Box with both."""
    from .errors import InvalidArgument

    if hasattr(box_low, "low") and hasattr(box_low, "high"):
        box_low, box_high = box_low.low, box_low.high
    low, high = Fraction(box_low), Fraction(box_high)
    if not 0 <= low <= high:
        raise InvalidArgument(
            f"value box [{low}, {high}]: bids are at least 0 and the low "
            f"end is at most the high end, e.g. box_low=0, box_high=10")
    return low, high


def _grid(low, high, denominators):
    """Multiples of 1/d inside [low, high], for a d of ``denominators``."""
    parts = [st.integers(math.ceil(low * d), math.floor(high * d))
             .map(partial(_over, d=d)) for d in denominators
             if math.ceil(low * d) <= math.floor(high * d)]
    return st.one_of(parts) if parts else None


def _over(k, d):
    return Fraction(k, d)


def numbers(box_low=0, box_high=10, *, float_exact=False):
    """Exact numbers in [box_low, box_high]: 0 and the box ends often,
    small-denominator grid points, and general fractions.

    With ``float_exact`` only multiples of 1/1024 (held exactly by floats);
    a box containing none of them is refused.
    """
    from .errors import InvalidArgument

    low, high = _bounds(box_low, box_high)
    if float_exact:
        grid = _grid(low, high, FLOAT_EXACT_DENOMINATORS)
        if grid is None:
            raise InvalidArgument(
                f"value box [{low}, {high}] holds no multiple of 1/1024: "
                f"widen it or draw with float_exact=False")
        ends = [x for x in (low, high) if (x * 1024).denominator == 1]
        special = ends + ([Fraction(0)] if low == 0 else [])
        return st.one_of(st.sampled_from(special), grid) if special else grid
    special = [low, high] + ([Fraction(0)] if low == 0 else [])
    grid = _grid(low, high, SMALL_DENOMINATORS)
    return st.one_of(
        st.sampled_from(special),
        st.nothing() if grid is None else grid,
        st.tuples(st.integers(0, 9973), st.integers(1, 9973)).map(
            partial(_between, low=low, high=high)),
    )


def _between(pair, low, high):
    """A general fraction in [low, high]: low + (high - low) * a / b with
    a <= b from a pair of whole numbers."""
    a, b = sorted(pair)
    return low + (high - low) * Fraction(a, b)


def shapes(max_groups=3, max_members=4, valuations=VALUATIONS, max_items=3,
           *, min_groups=1):
    """Shapes with ``min_groups..max_groups`` groups of 1..``max_members``
    members, a valuation class of ``valuations`` and, for several items,
    1..``max_items`` items."""
    from .model import SINGLE, Shape

    if isinstance(valuations, str):
        valuations = (valuations,)
    groups = st.lists(st.integers(1, max_members), min_size=min_groups,
                      max_size=max_groups).map(tuple)

    def with_items(valuation):
        items = (st.just(1) if valuation == SINGLE
                 else st.integers(1, max_items))
        return st.builds(Shape, groups, items, st.just(valuation))

    return st.sampled_from(tuple(valuations)).flatmap(with_items)


def _bid(shape, number):
    """One member's bid: a number, or a tuple of one number per item."""
    if not shape.multi_item:
        return number
    return st.tuples(*[number] * shape.items)


def profiles(shape, box_low=0, box_high=10, *, float_exact=False):
    """Profiles that fit ``shape``, every number in the box.

    A pool of three values is drawn first; each number of the profile is
    then one of the pool (so equal bids are common, across members and
    across items) or drawn afresh.
    """
    number = numbers(box_low, box_high, float_exact=float_exact)
    pool = st.tuples(number, number, number)
    slot_or_number = st.one_of(st.integers(0, 2), number)
    layout = st.tuples(*[st.tuples(*[_bid(shape, slot_or_number)] * size)
                         for size in shape.groups])
    return _filled(pool, layout)


@st.composite
def _filled(draw, pool, layout):
    """A drawn layout with each pool slot (an int) replaced by its value
    (a composite, so a failing example shows the profile itself)."""
    values, slots = draw(pool), draw(layout)

    def value(x):
        return values[x] if isinstance(x, int) else x

    return tuple(tuple(tuple(map(value, bid)) if isinstance(bid, tuple)
                       else value(bid) for bid in group)
                 for group in slots)


@st.composite
def misreports(draw, shape, box_low=0, box_high=10, *, near=None,
               float_exact=False):
    """One member's bid in the box: a number, or one per item.

    ``near``, a profile, makes the bids in it likely misreports too, since
    a misreport that ties another member's bid is where rules decide.
    """
    low, high = _bounds(box_low, box_high)
    number = numbers(low, high, float_exact=float_exact)
    if near is not None:
        seen = sorted({Fraction(x) for x in _flatten(near)
                       if low <= x <= high and not (
                           float_exact and (x * 1024).denominator != 1)})
        if seen:
            number = st.one_of(st.sampled_from(seen), number)
    return draw(_bid(shape, number))


def _flatten(profile):
    for group in profile:
        for bid in group:
            yield from (bid if isinstance(bid, tuple) else (bid,))
