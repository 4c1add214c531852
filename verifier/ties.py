"""Ties: the comparisons of bids a mechanism makes, and how far each one is
from equality.

A mechanism decides by comparing numbers computed from bids (``lhs >= rhs``
and the like). Near a profile every such number is a polynomial in the
bids. A comparison is *degenerate* at a profile when ``lhs - rhs`` is the
zero polynomial there, as when a sorted bid is compared with the very bid
it came from: no perturbation of the bids can change its truth value, so
it is no tie. Every other comparison has a *gap* ``|lhs - rhs|``. A profile
is at a tie when some gap is 0, and robust at margin ``m`` when every gap is
at least ``m``.

:func:`min_gap` measures this on exact numbers: it runs the mechanism on
Fractions that carry their polynomial and note every comparison, and uses
no solver. :func:`recording` collects the comparisons made on symbolic
numbers, for the solver to hold them away from ties (see
:mod:`verifier.smt`); both sides use the polynomials defined here.
"""

import math
from contextlib import contextmanager
from fractions import Fraction
from numbers import Rational

from .model import exact_profile
from .numbers import recorders as _symbolic_recorders

# A polynomial is a dict {monomial: coefficient}, a monomial a sorted tuple
# of variables (repeated for powers), the constant monomial (). None stands
# for a number that is no polynomial of the bids (a division by bids).


def constant(q):
    """The constant polynomial q."""
    return {(): Fraction(q)} if q else {}


def variable(name):
    """The polynomial of one bid."""
    return {(name,): Fraction(1)}


def poly_add(p, q, sign=1):
    """p + sign * q."""
    if p is None or q is None:
        return None
    out = dict(p)
    for mono, c in q.items():
        c = out.get(mono, 0) + (c if sign == 1 else -c)
        if c:
            out[mono] = c
        else:
            del out[mono]
    return out


def poly_mul(p, q):
    """p * q."""
    if p is None or q is None:
        return None
    out = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            mono = tuple(sorted(m1 + m2))
            out[mono] = out.get(mono, 0) + c1 * c2
            if not out[mono]:
                del out[mono]
    return out


def poly_div(p, q):
    """p / q when q is a non-zero constant, else None."""
    if p is None or q is None or set(q) != {()}:
        return None
    return {mono: c / q[()] for mono, c in p.items()}


def poly_key(p):
    """A hashable form of p; None stays None."""
    if p is None:
        return None
    return frozenset((mono, c.numerator, c.denominator)
                     for mono, c in p.items())


# ------------------------------------------------------------- exact side

_listeners = []


class _Tracked(Fraction):
    """A Fraction that carries its polynomial in the bids and reports every
    comparison it takes part in to the innermost :func:`min_gap` run."""

    __slots__ = ("poly",)

    def __new__(cls, value, poly):
        self = super().__new__(cls, value)
        self.poly = poly
        return self

    def __repr__(self):
        return f"_Tracked({Fraction(self)!r})"

    def __neg__(self):
        return _Tracked(-Fraction(self), poly_mul(constant(-1), self.poly))

    def __pos__(self):
        return self

    def __abs__(self):
        value = Fraction(self)
        if value == 0 and self.poly:
            return _Tracked(0, None)    # a kink: no polynomial here
        return _Tracked(abs(value), poly_mul(constant(1 if value >= 0 else -1),
                                             self.poly))

    __hash__ = Fraction.__hash__


def _poly_of(x):
    if isinstance(x, _Tracked):
        return x.poly
    if isinstance(x, Rational):
        return constant(x)
    return None


def _plain(x):
    return Fraction(x) if isinstance(x, _Tracked) else x


def _arithmetic(op, poly_op):
    def forward(self, other):
        return _combine(op(Fraction(self), _plain(other)),
                        lambda: poly_op(self.poly, _poly_of(other)))

    def reflected(self, other):
        return _combine(op(_plain(other), Fraction(self)),
                        lambda: poly_op(_poly_of(other), self.poly))
    return forward, reflected


def _combine(result, poly):
    if isinstance(result, Fraction):
        return _Tracked(result, poly())
    return result   # NotImplemented, or a float from a float operand


def _comparison(op):
    def compare(self, other):
        result = op(Fraction(self), _plain(other))
        if _listeners and isinstance(other, (Rational, float)):
            degenerate = (self.poly is not None
                          and self.poly == _poly_of(other))
            if not degenerate:
                _listeners[-1].append(abs(Fraction(self) - Fraction(other)))
        return result
    return compare


for _name, _op, _poly in (
        ("add", lambda a, b: a + b, poly_add),
        ("sub", lambda a, b: a - b, lambda p, q: poly_add(p, q, -1)),
        ("mul", lambda a, b: a * b, poly_mul),
        ("truediv", lambda a, b: a / b, poly_div)):
    _forward, _reflected = _arithmetic(_op, _poly)
    setattr(_Tracked, f"__{_name}__", _forward)
    setattr(_Tracked, f"__r{_name}__", _reflected)
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(_Tracked, f"__{_name}__",
            _comparison(getattr(Fraction, f"__{_name}__")))


def _leaving(name):
    """A conversion out of exact numbers (float(), int(), round()...): the
    comparisons made on its result are invisible here, so it counts as a
    tie and no witness through it is called robust."""
    convert = getattr(Fraction, name)

    def leave(self, *args):
        if _listeners:
            _listeners[-1].append(Fraction(0))
        return convert(Fraction(self), *args)
    return leave


for _name in ("__float__", "__int__", "__round__", "__floor__", "__ceil__",
              "__trunc__", "__complex__"):
    if hasattr(Fraction, _name):
        setattr(_Tracked, _name, _leaving(_name))


def _tracked_profile(shape, values):
    def bid(j, i, b):
        if shape.multi_item:
            return tuple(_Tracked(x, variable((j, i, r)))
                         for r, x in enumerate(b))
        return _Tracked(b, variable((j, i)))
    return tuple(tuple(bid(j, i, b) for i, b in enumerate(group))
                 for j, group in enumerate(values))


def min_gap(mechanism, shape, profile):
    """The smallest gap ``|lhs - rhs|`` over the non-degenerate comparisons
    the mechanism makes at the exact ``profile``; 0 at a tie, and
    ``math.inf`` when it makes no such comparison (no tie can matter).
    A bid converted out of exact numbers (``float()``, ``int()``,
    ``round()``) counts as a tie: what is compared after that is unseen.

    Exact numbers only, no solver. A witness is robust at margin m when
    min_gap is at least m at both its profiles, truthful and deviated.
    """
    values = exact_profile(shape, profile)
    gaps = []
    _listeners.append(gaps)
    try:
        mechanism.rule(_tracked_profile(shape, values))
    finally:
        _listeners.pop()
    return min(gaps, default=math.inf)


def robust(mechanism, shape, witness, margin):
    """Whether ``witness`` keeps every comparison at both of its profiles
    at least ``margin`` from equality."""
    j, i = witness.group, witness.member
    deviated = tuple(tuple(witness.misreport if (g, h) == (j, i) else b
                           for h, b in enumerate(group))
                     for g, group in enumerate(witness.profile))
    return min(min_gap(mechanism, shape, witness.profile),
               min_gap(mechanism, shape, deviated)) >= margin


def compares(mechanism, shape, witness):
    """Whether the mechanism makes any tracked comparison at the witness's
    truthful or deviated profile."""
    j, i = witness.group, witness.member
    deviated = tuple(tuple(witness.misreport if (g, h) == (j, i) else b
                           for h, b in enumerate(group))
                     for g, group in enumerate(witness.profile))
    return (min_gap(mechanism, shape, witness.profile) != math.inf
            or min_gap(mechanism, shape, deviated) != math.inf)


# ---------------------------------------------------------- symbolic side

@contextmanager
def recording():
    """Collect ``(lhs, rhs)``, the z3 terms of every comparison made on
    symbolic numbers inside the block, in a list.

    Comparisons that :mod:`verifier.ops` builds directly as z3 terms (the
    tests on counts inside ``ops.split`` and on zero inside ``ops.ratio``)
    are not the mechanism's and are not collected.
    """
    found = []
    _symbolic_recorders.append(found)
    try:
        yield found
    finally:
        _symbolic_recorders.pop()
