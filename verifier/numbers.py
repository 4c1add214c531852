"""The three kinds of numbers a mechanism runs on.

- exact: ``fractions.Fraction`` and Python ``bool``; the final word.
- batch: :class:`Batch` and :class:`BatchBool`, numpy arrays whose leading
  axis runs over profiles; used to sample many profiles at once.
- symbolic: :class:`Sym` and :class:`SymBool`, z3 real and boolean terms;
  used to ask the solver.

Batch and symbolic values refuse to be used as a Python truth value: a
mechanism that writes ``if bid > price:`` fails at once, with a message
naming the operation of :mod:`verifier.ops` to use instead.
"""

import operator
from fractions import Fraction
from numbers import Rational

import numpy as np
import z3

EXACT, BATCH, SYMBOLIC = "exact", "batch", "symbolic"


class BranchOnBid(TypeError):
    """Raised when mechanism code asks for the truth of a batch or symbolic
    value with ``if``, ``while``, ``and``, ``or``, ``not`` or ``bool()``."""


_BRANCH_HELP = (
    "a comparison of bids has no single truth value on {kind} numbers, so "
    "`if`, `while`, `and`, `or`, `not`, `max()` and `sorted()` cannot be "
    "used on it; use ops.where(condition, a, b) to choose, ops.all_of / "
    "ops.any_of / ops.not_ to combine conditions, and ops.maximum, "
    "ops.minimum or ops.sort_desc instead of max, min or sorted"
)

_DIVIDE_HELP = (
    "dividing by a bid is undefined where it is 0; use ops.ratio(x, y), "
    "which is 0 where y is 0, or ops.split(x, k, most) to divide by a "
    "count of members"
)


def _refuse_truth(kind):
    def __bool__(self):
        raise BranchOnBid(_BRANCH_HELP.format(kind=kind))
    return __bool__


def _refuse_hash(self):
    raise TypeError(
        "a bid is not hashable on batch or symbolic numbers; "
        "keep bids in lists, not in sets or dict keys")


# ----------------------------------------------------------------- batch

def _batch_array(x):
    """The numpy array of a batch operand; constants become floats."""
    if isinstance(x, (Batch, BatchBool)):
        return x.a
    if isinstance(x, bool):
        return x
    if isinstance(x, (Rational, float)):
        return float(x)
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"cannot mix {type(x).__name__} {x!r} with batch bids")


class Batch:
    """A number per profile: a float array with a leading axis of profiles."""

    __slots__ = ("a",)
    kind = BATCH

    def __init__(self, a):
        self.a = np.asarray(a, dtype=float)

    def __add__(self, o): return Batch(self.a + _batch_array(o))
    def __radd__(self, o): return Batch(_batch_array(o) + self.a)
    def __sub__(self, o): return Batch(self.a - _batch_array(o))
    def __rsub__(self, o): return Batch(_batch_array(o) - self.a)
    def __mul__(self, o): return Batch(self.a * _batch_array(o))
    def __rmul__(self, o): return Batch(_batch_array(o) * self.a)
    def __neg__(self): return Batch(-self.a)
    def __pos__(self): return self

    def __truediv__(self, o):
        if isinstance(o, Batch):
            raise ZeroDivisionError(_DIVIDE_HELP)
        return Batch(self.a / _batch_array(o))

    def __rtruediv__(self, o):
        raise ZeroDivisionError(_DIVIDE_HELP)

    def __lt__(self, o): return BatchBool(self.a < _batch_array(o))
    def __le__(self, o): return BatchBool(self.a <= _batch_array(o))
    def __gt__(self, o): return BatchBool(self.a > _batch_array(o))
    def __ge__(self, o): return BatchBool(self.a >= _batch_array(o))
    def __eq__(self, o): return BatchBool(self.a == _batch_array(o))
    def __ne__(self, o): return BatchBool(self.a != _batch_array(o))

    __bool__ = _refuse_truth(BATCH)
    __hash__ = _refuse_hash

    def __repr__(self):
        return f"Batch({self.a!r})"


class BatchBool:
    """A truth value per profile."""

    __slots__ = ("a",)
    kind = BATCH

    def __init__(self, a):
        self.a = np.asarray(a, dtype=bool)

    def __and__(self, o): return BatchBool(self.a & _batch_array(o))
    def __rand__(self, o): return BatchBool(_batch_array(o) & self.a)
    def __or__(self, o): return BatchBool(self.a | _batch_array(o))
    def __ror__(self, o): return BatchBool(_batch_array(o) | self.a)
    def __invert__(self): return BatchBool(~self.a)
    def __eq__(self, o): return BatchBool(self.a == _batch_array(o))
    def __ne__(self, o): return BatchBool(self.a != _batch_array(o))

    __bool__ = _refuse_truth(BATCH)
    __hash__ = _refuse_hash

    def __repr__(self):
        return f"BatchBool({self.a!r})"


# -------------------------------------------------------------- symbolic

def z3_value(x):
    """The z3 term of a symbolic operand; constants stay exact."""
    if isinstance(x, (Sym, SymBool)):
        return x.t
    if isinstance(x, bool):
        return z3.BoolVal(x)
    if isinstance(x, Rational):
        q = Fraction(x)
        return z3.RealVal(f"{q.numerator}/{q.denominator}")
    if isinstance(x, float):
        raise TypeError(
            f"the float {x!r} has no exact value in a symbolic mechanism; "
            f"write {fraction_spelling(x)} instead")
    if isinstance(x, z3.ExprRef):
        return x
    raise TypeError(f"cannot mix {type(x).__name__} {x!r} with symbolic bids")


def fraction_spelling(x):
    """How to write the float ``x`` exactly: ``Fraction(1, 10)`` for 0.1
    (numerator, denominator; ``Fraction(1/10)`` would be the float
    again), ``Fraction(2)`` for 2.0; nan and infinities have no exact
    value."""
    if x != x or x in (float("inf"), float("-inf")):
        return "an exact number (nan and infinities have none)"
    q = Fraction(x).limit_denominator(10**6)
    if q.denominator == 1:
        return f"Fraction({q.numerator})"
    return f"Fraction({q.numerator}, {q.denominator})"


#: Lists receiving ``(lhs, rhs)``, the z3 terms of every comparison made on
#: symbolic numbers; the last one listens (see verifier.ties.recording).
recorders = []


def _compare(op):
    def compare(self, o):
        rhs = z3_value(o)
        if recorders:
            recorders[-1].append((self.t, rhs))
        return SymBool(op(self.t, rhs))
    return compare


def _term_text(t, most=200):
    """A z3 term as SMT-LIB text, cut at ``most`` characters.

    z3's own pretty printer takes seconds on the terms of a larger
    mechanism, and reprs are made freely (by pytest, by Hypothesis).
    """
    text = " ".join(t.sexpr().split())
    return text if len(text) <= most else text[:most - 3] + "..."


class Sym:
    """A z3 real term standing for a bid or a quantity computed from bids."""

    __slots__ = ("t",)
    kind = SYMBOLIC

    def __init__(self, t):
        self.t = t

    def __add__(self, o): return Sym(self.t + z3_value(o))
    def __radd__(self, o): return Sym(z3_value(o) + self.t)
    def __sub__(self, o): return Sym(self.t - z3_value(o))
    def __rsub__(self, o): return Sym(z3_value(o) - self.t)
    def __mul__(self, o): return Sym(self.t * z3_value(o))
    def __rmul__(self, o): return Sym(z3_value(o) * self.t)
    def __neg__(self): return Sym(-self.t)
    def __pos__(self): return self

    def __truediv__(self, o):
        if isinstance(o, Sym):
            raise ZeroDivisionError(_DIVIDE_HELP)
        return Sym(self.t / z3_value(o))

    def __rtruediv__(self, o):
        raise ZeroDivisionError(_DIVIDE_HELP)

    __lt__ = _compare(operator.lt)
    __le__ = _compare(operator.le)
    __gt__ = _compare(operator.gt)
    __ge__ = _compare(operator.ge)
    __eq__ = _compare(operator.eq)
    __ne__ = _compare(operator.ne)

    __bool__ = _refuse_truth(SYMBOLIC)
    __hash__ = _refuse_hash

    def __repr__(self):
        return f"Sym({_term_text(self.t)})"


class SymBool:
    """A z3 boolean term: a condition on the bids."""

    __slots__ = ("t",)
    kind = SYMBOLIC

    def __init__(self, t):
        self.t = t

    def __and__(self, o): return SymBool(z3.And(self.t, z3_value(o)))
    def __rand__(self, o): return SymBool(z3.And(z3_value(o), self.t))
    def __or__(self, o): return SymBool(z3.Or(self.t, z3_value(o)))
    def __ror__(self, o): return SymBool(z3.Or(z3_value(o), self.t))
    def __invert__(self): return SymBool(z3.Not(self.t))
    def __eq__(self, o): return SymBool(self.t == z3_value(o))
    def __ne__(self, o): return SymBool(self.t != z3_value(o))

    __bool__ = _refuse_truth(SYMBOLIC)
    __hash__ = _refuse_hash

    def __repr__(self):
        return f"SymBool({_term_text(self.t)})"


# ------------------------------------------------------------- dispatch

def kind_of(*values):
    """The strongest kind among values: symbolic, then batch, then exact.

    Values may be nested in lists and tuples.
    """
    found = EXACT
    stack = list(values)
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (Sym, SymBool)):
            return SYMBOLIC
        elif isinstance(x, (Batch, BatchBool)):
            found = BATCH
    return found


def is_bool(x):
    return isinstance(x, (bool, np.bool_, BatchBool, SymBool))
