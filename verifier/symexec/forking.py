"""Numbers and conditions that fork the path instead of refusing to branch.

A :class:`ForkingNumber` is a bid, or a number computed from bids, held
as a z3 real term; arithmetic builds terms and a comparison gives a
:class:`ForkingBool`. Asking a ForkingBool for its truth is a branch,
which the explorer of the current run decides; an operation that cannot
be followed exactly ends the path through the explorer as a fallback.
"""

import math
import operator
import threading
from fractions import Fraction
from numbers import Rational

import numpy as np
import z3

from ..numbers import Sym, z3_value
from .conditions import _constant, _is_constant

_STATE = threading.local()


def _explorer():
    explorer = getattr(_STATE, "explorer", None)
    if explorer is None:
        raise RuntimeError(
            "a ForkingNumber was used outside symbolic_mechanism(): its "
            "branches need the explorer that created it")
    return explorer


# ------------------------------------------------------------- operands

_FLOAT = object()


def _real(x):
    """(z3 term, whole) of a numeric operand, _FLOAT, or None if foreign.

    ``whole`` says whether the same value on exact numbers is a Python int.
    """
    if isinstance(x, ForkingNumber):
        return x.t, x.whole
    if isinstance(x, ForkingBool):
        return _indicator(x.t), True
    if isinstance(x, (bool, np.bool_)):
        return z3.RealVal(int(x)), True
    if isinstance(x, (int, np.integer)):
        return z3.RealVal(int(x)), True
    if isinstance(x, Rational):
        return z3_value(Fraction(x)), False
    if isinstance(x, float):
        return _FLOAT
    if isinstance(x, Sym):
        return x.t, False
    return None


def _indicator(condition):
    return z3.If(condition, z3.RealVal(1), z3.RealVal(0))


def _compared(x):
    """The z3 term of a comparison operand; floats compare exactly."""
    if isinstance(x, float) and math.isfinite(x):
        return z3_value(Fraction(x))
    found = _real(x)
    return None if found is None or found is _FLOAT else found[0]


def _floor(t):
    return z3.ToReal(z3.ToInt(t))


def _trunc(t):
    return z3.If(t >= 0, _floor(t), -_floor(-t))


# --------------------------------------------------------- forking numbers

_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_RELATION = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
             ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


def _key(x):
    """How a memo names an operand: the object itself for forking values
    (kept alive by the memo), the value for exact constants."""
    if isinstance(x, (ForkingNumber, ForkingBool, Sym)):
        return id(x)
    if isinstance(x, (bool, int, np.integer)):
        return ("int", int(x))
    if isinstance(x, Rational):
        return ("fraction", Fraction(x))
    if isinstance(x, float):
        return ("float", x)
    return None


def _memoized(key, keep, build):
    """The value built for ``key`` in this exploration. Runs repeat the
    same operations on the same objects, so after the first run they cost
    a dictionary look-up; ``keep`` holds the operands alive so their ids
    stay theirs."""
    memo = _explorer().memo
    found = memo.get(key)
    if found is None:
        found = memo[key] = (keep, build())
    return found[1]


class ForkingNumber:
    """A bid, or a number computed from bids, that forks the path at a
    branch instead of refusing it. ``t`` is its z3 real term; ``whole``
    says whether the same value on exact numbers is a Python int."""

    __slots__ = ("t", "whole")

    def __init__(self, t, whole=False):
        self.t = t
        self.whole = whole

    def _binary(self, other, op, reflected=False):
        key = _key(other)
        if key is None:
            return NotImplemented
        return _memoized((op, id(self), key, reflected), (self, other),
                         lambda: self._combine(other, op, reflected))

    def _combine(self, other, op, reflected):
        found = _real(other)
        if found is _FLOAT:
            _explorer().fallback(f"arithmetic with the float {other!r}")
        if op == "*" and isinstance(other, (ForkingNumber, ForkingBool, Sym)):
            _explorer().stats.nonlinear += 1
        (a, wa), (b, wb) = (found, (self.t, self.whole)) if reflected \
            else ((self.t, self.whole), found)
        return ForkingNumber(_ARITHMETIC[op](a, b), wa and wb)

    def _unary(self, name, term, whole):
        return _memoized((name, id(self)), self,
                         lambda: ForkingNumber(term(self.t), whole))

    def __add__(self, o): return self._binary(o, "+")
    def __radd__(self, o): return self._binary(o, "+", True)
    def __sub__(self, o): return self._binary(o, "-")
    def __rsub__(self, o): return self._binary(o, "-", True)
    def __mul__(self, o): return self._binary(o, "*")
    def __rmul__(self, o): return self._binary(o, "*", True)
    def __truediv__(self, o): return _divide(self, o, False)
    def __rtruediv__(self, o): return _divide(self, o, True)
    def __floordiv__(self, o): return _floor_divide(self, o, False)
    def __rfloordiv__(self, o): return _floor_divide(self, o, True)
    def __mod__(self, o): return _modulo(self, o, False)
    def __rmod__(self, o): return _modulo(self, o, True)
    def __divmod__(self, o): return (self // o, self % o)
    def __rdivmod__(self, o): return (o // self, o % self)
    def __pos__(self): return self

    def __neg__(self):
        return self._unary("neg", operator.neg, self.whole)

    def __abs__(self):
        return self._unary("abs", lambda t: z3.If(t >= 0, t, -t), self.whole)

    def __trunc__(self): return self._unary("trunc", _trunc, True)
    def __floor__(self): return self._unary("floor", _floor, True)

    def __ceil__(self):
        return self._unary("ceil", lambda t: -_floor(-t), True)

    def __pow__(self, exponent):
        if isinstance(exponent, bool) or not isinstance(exponent, int):
            _explorer().fallback("a power with a non-integer exponent")
        result = 1
        for _ in range(abs(exponent)):
            result = self * result
        if exponent < 0:
            if self.whole:
                _explorer().fallback("a negative power of a whole number")
            result = 1 / result
        return result

    def __rpow__(self, base):
        _explorer().fallback("a power with a bid as exponent")

    def __lt__(self, o): return _compare(self, o, "<")
    def __le__(self, o): return _compare(self, o, "<=")
    def __gt__(self, o): return _compare(self, o, ">")
    def __ge__(self, o): return _compare(self, o, ">=")
    def __eq__(self, o): return _compare(self, o, "==")
    def __ne__(self, o): return _compare(self, o, "!=")

    def __bool__(self):
        return bool(self != 0)

    def __int__(self):
        t = self.t if self.whole else _trunc(self.t)
        return _explorer().whole_value(t)

    def __index__(self):
        if not self.whole:
            raise TypeError(
                "'Fraction' object cannot be interpreted as an integer")
        return _explorer().whole_value(self.t)

    def __float__(self):
        value = _explorer().forced_value(self.t)
        if value is None or Fraction(float(value)) != value:
            _explorer().fallback("float()")
        return float(value)

    def __round__(self, ndigits=None):
        value = _explorer().forced_value(self.t)
        if value is None:
            _explorer().fallback("round()")
        return round(int(value) if self.whole else value, ndigits)

    def __complex__(self):
        _explorer().fallback("complex()")

    def __hash__(self):
        return hash(self._forced("hash()"))

    def __str__(self):
        return str(self._forced("str()"))

    def __format__(self, spec):
        return format(self._forced("format()"), spec)

    def _forced(self, operation):
        value = _explorer().forced_value(self.t)
        if value is None:
            _explorer().fallback(operation)
        return int(value) if self.whole else value

    def __repr__(self):
        return f"ForkingNumber({self.t})"


def _divisor(number, other, reflected):
    """(numerator, denominator) as (term, whole) pairs, or NotImplemented."""
    found = _real(other)
    if found is None:
        return NotImplemented
    if found is _FLOAT:
        _explorer().fallback(f"arithmetic with the float {other!r}")
    mine = (number.t, number.whole)
    return (found, mine) if reflected else (mine, found)


def _nonzero(d):
    """Raise ZeroDivisionError where the divisor is 0, as Fractions do."""
    d = z3.simplify(d)
    if _is_constant(d):
        zero = _constant(d) == 0
    else:
        zero = _explorer().decide(d == 0)
        if not zero:
            _explorer().stats.nonlinear += 1
    if zero:
        raise ZeroDivisionError("division by zero")


def _divide(number, other, reflected):
    pair = _divisor(number, other, reflected)
    if pair is NotImplemented:
        return pair
    (n, wn), (d, wd) = pair
    if wn and wd:
        _explorer().fallback("a true division of whole numbers (a float)")
    _nonzero(d)
    return _quotient("/", number, other, reflected,
                     lambda: ForkingNumber(n / d, False))


def _floor_divide(number, other, reflected):
    pair = _divisor(number, other, reflected)
    if pair is NotImplemented:
        return pair
    (n, _), (d, _) = pair
    _nonzero(d)
    return _quotient("//", number, other, reflected,
                     lambda: ForkingNumber(_floor(n / d), True))


def _modulo(number, other, reflected):
    pair = _divisor(number, other, reflected)
    if pair is NotImplemented:
        return pair
    (n, wn), (d, wd) = pair
    _nonzero(d)
    return _quotient("%", number, other, reflected, lambda: ForkingNumber(
        n - d * _floor(n / d), wn and wd))


def _quotient(op, number, other, reflected, build):
    """The memoized result of a division whose divisor is known not to
    be 0 on this path."""
    return _memoized((op, id(number), _key(other), reflected),
                     (number, other), build)


def _compare(number, other, relation):
    key = _key(other)
    if key is None:
        return NotImplemented
    return _memoized((relation, id(number), key), (number, other),
                     lambda: _comparison(number, other, relation))


def _comparison(number, other, relation):
    o = _compared(other)
    if o is None:
        _explorer().fallback(f"a comparison with {other!r}")
    return ForkingBool(_RELATION[relation](number.t, o))


class ForkingBool:
    """A condition on bids. Its truth value is a branch; ``& | ^`` combine
    conditions without branching; as a number it is 1 or 0, like a bool."""

    __slots__ = ("t",)

    def __init__(self, t):
        self.t = t

    def __bool__(self):
        return _explorer().decide(self.t, self)

    @property
    def number(self):
        """The condition as the whole number 1 or 0."""
        return _memoized(("number", id(self)), self,
                         lambda: ForkingNumber(_indicator(self.t), True))

    def _logic(self, other, name):
        if not isinstance(other, (ForkingBool, bool, np.bool_)):
            return _LOGIC[name](bool(self), other)
        return _memoized(("logic", name, id(self), _key(other)),
                         (self, other), lambda: ForkingBool(
                             _LOGIC[name](self.t, _truth_term(other))))

    def __and__(self, o): return self._logic(o, "and")
    def __rand__(self, o): return self._logic(o, "and")
    def __or__(self, o): return self._logic(o, "or")
    def __ror__(self, o): return self._logic(o, "or")
    def __xor__(self, o): return self._logic(o, "xor")
    def __rxor__(self, o): return self._logic(o, "xor")
    def __invert__(self): return -1 - self.number

    def __eq__(self, o):
        if isinstance(o, (ForkingBool, bool, np.bool_)):
            return self._logic(o, "same")
        return self.number == o

    def __ne__(self, o):
        if isinstance(o, (ForkingBool, bool, np.bool_)):
            return self._logic(o, "xor")
        return self.number != o

    def __int__(self): return 1 if self else 0
    def __index__(self): return 1 if self else 0
    def __float__(self): return 1.0 if self else 0.0
    def __hash__(self): return hash(bool(self))
    def __str__(self): return str(bool(self))
    def __format__(self, spec): return format(bool(self), spec)

    def __repr__(self):
        return f"ForkingBool({self.t})"


def _truth_term(x):
    return x.t if isinstance(x, ForkingBool) else z3.BoolVal(bool(x))


def _pick(z3_form, python_form):
    def combine(a, b):
        if isinstance(a, z3.BoolRef):
            return z3_form(a, b)
        return python_form(a, b)
    return combine


_LOGIC = {
    "and": _pick(z3.And, operator.and_),
    "or": _pick(z3.Or, operator.or_),
    "xor": _pick(z3.Xor, operator.xor),
    "same": operator.eq,
}


def _delegate(name):
    def method(self, *args):
        return getattr(self.number, name)(*args)
    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__",
              "__rmul__", "__truediv__", "__rtruediv__", "__floordiv__",
              "__rfloordiv__", "__mod__", "__rmod__", "__neg__", "__pos__",
              "__abs__", "__pow__", "__lt__", "__le__", "__gt__", "__ge__",
              "__round__"):
    setattr(ForkingBool, _name, _delegate(_name))
del _name
