"""The two-level model: shapes, profiles, outcomes, utility and welfare.

Groups and members are numbered from 0 in code and from 1 when shown to a
person. A member's bid (or value) is one number in the single-item class and
a tuple of one number per item in the additive and unit-demand classes.
"""

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational, Real

from . import ops
from .errors import InvalidOutcome, InvalidProfile, InvalidShape
from .numbers import EXACT, fraction_spelling, kind_of

SINGLE, ADDITIVE, UNIT_DEMAND = "single", "additive", "unit-demand"
VALUATIONS = (SINGLE, ADDITIVE, UNIT_DEMAND)


@dataclass(frozen=True)
class Shape:
    """Group sizes, number of items and the members' valuation class."""

    groups: tuple
    items: int = 1
    valuation: str = SINGLE

    def __post_init__(self):
        groups = self.groups
        if isinstance(groups, int) or not groups:
            raise InvalidShape(
                f"groups={groups!r}: give one size per group, at least one "
                f"group, e.g. groups=(2, 1)")
        for size in groups:
            if not isinstance(size, int) or isinstance(size, bool) or size < 1:
                raise InvalidShape(
                    f"group size {size!r} in groups={tuple(groups)}: every "
                    f"group needs a whole number of members, at least 1")
        object.__setattr__(self, "groups", tuple(groups))
        if self.valuation not in VALUATIONS:
            raise InvalidShape(
                f"valuation={self.valuation!r}: use one of "
                f"{', '.join(VALUATIONS)}")
        items = self.items
        if not isinstance(items, int) or isinstance(items, bool) or items < 1:
            raise InvalidShape(
                f"items={items!r}: the number of items is a whole number, "
                f"at least 1")
        if self.valuation == SINGLE and items != 1:
            raise InvalidShape(
                f"items={items} with valuation='single': the single-item "
                f"class has 1 item; use valuation='additive' or "
                f"'unit-demand' for several")

    @property
    def k(self):
        """Number of groups."""
        return len(self.groups)

    @property
    def n(self):
        """Number of members in all."""
        return sum(self.groups)

    @property
    def ell(self):
        """Size of the largest group (the paper's ℓ)."""
        return max(self.groups)

    @property
    def multi_item(self):
        return self.valuation != SINGLE

    def members(self):
        """Every member as (group, member), in order."""
        return [(j, i) for j, size in enumerate(self.groups)
                for i in range(size)]

    def describe(self):
        sizes = ", ".join(map(str, self.groups))
        items = "1 item" if self.items == 1 else f"{self.items} items"
        return f"groups ({sizes}), {items}, {self.valuation} valuations"

    def to_json(self):
        return {"groups": list(self.groups), "items": self.items,
                "valuation": self.valuation}

    @classmethod
    def from_json(cls, data):
        return cls(tuple(data["groups"]), data["items"], data["valuation"])


# -------------------------------------------------------------- numbers

def exact_number(x, what):
    """``x`` as a Fraction, or InvalidProfile naming ``what``."""
    if isinstance(x, bool):
        raise InvalidProfile(f"{what} is {x!r}: a bid is a number, not a bool")
    if isinstance(x, Rational):
        q = Fraction(x)
    elif isinstance(x, Real):
        if not math.isfinite(x):
            raise InvalidProfile(
                f"{what} is {x!r}: bids must be finite numbers")
        q = Fraction(repr(float(x)))
    elif isinstance(x, str):
        try:
            q = Fraction(x.strip())
        except (ValueError, ZeroDivisionError):
            raise InvalidProfile(
                f"{what} is {x!r}: write a number such as 3, 2.5 or 7/2"
            ) from None
    else:
        raise InvalidProfile(
            f"{what} is {x!r} of type {type(x).__name__}: a bid is a number")
    if q < 0:
        raise InvalidProfile(f"{what} is {q}: bids must be at least 0")
    return q


def exact_profile(shape, profile):
    """Check ``profile`` against ``shape`` and return it in Fractions.

    The result is a tuple per group of a bid per member; a bid is a
    Fraction (single item) or a tuple of Fractions (one per item).
    """
    if not isinstance(profile, (list, tuple)) or len(profile) != shape.k:
        got = len(profile) if isinstance(profile, (list, tuple)) else profile
        raise InvalidProfile(
            f"profile has {got!r} groups but the shape has {shape.k}: "
            f"give one list of member bids per group")
    out = []
    for j, (group, size) in enumerate(zip(profile, shape.groups)):
        if not isinstance(group, (list, tuple)) or len(group) != size:
            got = len(group) if isinstance(group, (list, tuple)) else group
            raise InvalidProfile(
                f"group {j + 1} has {got!r} members but the shape says "
                f"{size}: give one bid per member")
        out.append(tuple(_exact_bid(shape, bid, f"bid of member {i + 1} "
                                    f"of group {j + 1}")
                         for i, bid in enumerate(group)))
    return tuple(out)


def _exact_bid(shape, bid, what):
    if not shape.multi_item:
        if isinstance(bid, (list, tuple)):
            raise InvalidProfile(
                f"{what} is {list(bid)}: a single-item bid is one number")
        return exact_number(bid, what)
    if not isinstance(bid, (list, tuple)) or len(bid) != shape.items:
        raise InvalidProfile(
            f"{what} is {bid!r}: with {shape.items} items a bid is a list "
            f"of {shape.items} numbers, one per item")
    return tuple(exact_number(x, f"{what} for item {r + 1}")
                 for r, x in enumerate(bid))


def flatten(shape, profile):
    """Every number of ``profile`` in order: member after member, item
    after item."""
    return [Fraction(x) for group in profile for bid in group
            for x in (bid if shape.multi_item else (bid,))]


def unflatten(shape, numbers):
    """The profile whose :func:`flatten` is ``numbers``."""
    m = shape.items if shape.multi_item else 1
    bids = [tuple(numbers[a * m:(a + 1) * m]) for a in range(shape.n)]
    if not shape.multi_item:
        bids = [b[0] for b in bids]
    profile, at = [], 0
    for members in shape.groups:
        profile.append(tuple(bids[at:at + members]))
        at += members
    return tuple(profile)


# -------------------------------------------------------------- outcomes

@dataclass(frozen=True)
class Outcome:
    """What a two-level mechanism decides for one profile.

    wins[j][r]       whether group j won item r
    charges[j]       what the upper mechanism charged group j
    access[j][i][r]  whether member i of group j may use item r
    payments[j][i]   what member i of group j pays

    Entries are bools and Fractions on exact numbers, and batch or symbolic
    values on the other kinds.
    """

    wins: tuple
    charges: tuple
    access: tuple
    payments: tuple

    def items_of(self, j):
        """The items group j won (exact outcomes only)."""
        return {r for r, won in enumerate(self.wins[j]) if won}

    def to_json(self):
        return {
            "wins": [[r + 1 for r, w in enumerate(row) if w]
                     for row in self.wins],
            "charges": [str(c) for c in self.charges],
            "access": [[[r + 1 for r, a in enumerate(member) if a]
                        for member in group] for group in self.access],
            "payments": [[str(p) for p in group] for group in self.payments],
        }


def check_outcome(shape, outcome):
    """Refuse an exact outcome that is not feasible for ``shape``."""
    _check_sizes(shape, outcome)
    for j in range(shape.k):
        for r in range(shape.items):
            _check_bool(outcome.wins[j][r],
                        f"whether group {j + 1} won item {r + 1}")
        for i in range(shape.groups[j]):
            who = f"member {i + 1} of group {j + 1}"
            _check_number(outcome.payments[j][i], f"payment of {who}")
            for r in range(shape.items):
                _check_bool(outcome.access[j][i][r],
                            f"access of {who} to item {r + 1}")
                if outcome.access[j][i][r] and not outcome.wins[j][r]:
                    raise InvalidOutcome(
                        f"{who} has access to item {r + 1}, which group "
                        f"{j + 1} did not win: access is only to won items")
        _check_number(outcome.charges[j], f"charge of group {j + 1}")
    for r in range(shape.items):
        winners = [j + 1 for j in range(shape.k) if outcome.wins[j][r]]
        if len(winners) > 1:
            raise InvalidOutcome(
                f"item {r + 1} goes to groups {winners}: an item goes to at "
                f"most one group")


def _check_sizes(shape, outcome):
    def fits(rows, sizes, what):
        if len(rows) != len(sizes) or any(
                len(row) != size for row, size in zip(rows, sizes)):
            raise InvalidOutcome(
                f"{what} has sizes {[len(row) for row in rows]}, the shape "
                f"needs {list(sizes)}")
    fits(outcome.wins, [shape.items] * shape.k, "wins")
    fits(outcome.access, shape.groups, "access")
    fits(outcome.payments, shape.groups, "payments")
    if len(outcome.charges) != shape.k:
        raise InvalidOutcome(
            f"charges has {len(outcome.charges)} entries for {shape.k} groups")
    for j, group in enumerate(outcome.access):
        fits(group, [shape.items] * len(group), f"access of group {j + 1}")


def _check_number(x, what):
    if isinstance(x, float) and not math.isfinite(x):
        raise InvalidOutcome(
            f"{what} is {x!r}: it must be an exact number (an int or a "
            f"Fraction), not nan or infinite")
    if isinstance(x, bool) or not isinstance(x, Rational):
        hint = ""
        if isinstance(x, float):
            hint = (f"; exact results need Fraction constants, e.g. "
                    f"{fraction_spelling(x)} instead of {x!r}, and an int "
                    f"divided by an int is a float: write Fraction(a, b)")
        raise InvalidOutcome(
            f"{what} is {x!r} of type {_type_name(x)}: expected an exact "
            f"number{hint}")
    if x < 0:
        raise InvalidOutcome(f"{what} is {x}: payments and charges are >= 0")


def _type_name(x):
    """``float``, or ``numpy.bool`` for a type from outside the builtins."""
    kind = type(x)
    if kind.__module__ == "builtins":
        return kind.__name__
    return f"{kind.__module__}.{kind.__name__}"


def _check_bool(x, what):
    if not isinstance(x, bool):
        raise InvalidOutcome(
            f"{what} is {x!r} of type {_type_name(x)}: expected True or "
            f"False")


# ---------------------------------------------------- utility and welfare

def value_of(shape, v, access_row):
    """A member's value for the items of ``access_row``, under value ``v``."""
    if not shape.multi_item:
        return ops.where(access_row[0], v, 0)
    parts = [ops.where(a, x, 0) for a, x in zip(access_row, v)]
    if shape.valuation == ADDITIVE:
        return ops.total(parts)
    return ops.maximum(parts)


def utility(shape, values, outcome, j, i):
    """Quasi-linear utility of member i of group j with true values."""
    return (value_of(shape, values[j][i], outcome.access[j][i])
            - outcome.payments[j][i])


def welfare(shape, values, outcome):
    """Social welfare: every member's value for the items it may use."""
    return ops.total(value_of(shape, values[j][i], outcome.access[j][i])
                     for j, i in shape.members())


def group_value(shape, group_values, bundle):
    """What a whole group gets from ``bundle`` when all its members use it."""
    if not bundle:
        return Fraction(0)
    if not shape.multi_item:
        return sum(group_values, Fraction(0))
    if shape.valuation == ADDITIVE:
        return sum((v[r] for v in group_values for r in bundle), Fraction(0))
    return sum((max(v[r] for r in bundle) for v in group_values), Fraction(0))


def optimal_welfare(shape, values):
    """OPT: the best welfare of any feasible allocation (exact values).

    In an optimal allocation each group gives every item it gets to all of
    its members, so OPT is a maximum over assignments of items to groups.
    """
    assert kind_of(values) == EXACT, "OPT is computed on exact values"
    best = Fraction(0)
    for owner in itertools.product(range(-1, shape.k), repeat=shape.items):
        total = sum((group_value(shape, values[j],
                                 {r for r in range(shape.items)
                                  if owner[r] == j})
                     for j in range(shape.k)), Fraction(0))
        best = max(best, total)
    return best


def harmonic(n):
    """H_n = 1 + 1/2 + ... + 1/n, exactly."""
    return sum((Fraction(1, i) for i in range(1, n + 1)), Fraction(0))
