"""Path-forking symbolic execution of plain Python mechanisms.

A plain mechanism is a function ``f(profile)`` written with ``if``, ``for``,
``sorted``, ``max``, ``min``, ``==``, ``in`` and ``sum`` over numbers (see
:func:`verifier.mechanism.plain`). It cannot run on
:class:`verifier.numbers.Sym`, which refuses to branch. This module runs it
on :class:`ForkingNumber` bids instead:

1. Each bid is a z3 real. Arithmetic builds z3 terms; a comparison returns
   a :class:`ForkingBool`, and asking for its truth (``if``, ``and``,
   ``not``, ``sorted``, ``max``, ``==``, ``in``) is a branch.
2. At a branch the explorer either replays a recorded decision or makes a
   new one. A new one is first settled without the solver when it can be:
   a comparison the path already made (however it was written), one that
   holds all over the box (interval bounds), or one that follows from the
   path's order of the compared terms (a <= b <= c gives a <= c).
   Otherwise z3 is asked which sides are feasible under the path
   condition and the value box; one is taken, the other queued, an
   infeasible one pruned. Each complete run yields (path condition,
   outcome terms).
3. The function is re-run from the start for every queued decision prefix
   (depth first) until no prefix is left or the path budget is spent.
4. The runs form a decision tree; every outcome field becomes a nested z3
   ``If`` over the tree's decisions. The paths are disjoint and cover the
   box, so this is one symbolic outcome, equal to the function's outcome
   at every profile of the box.

Nothing is dropped silently. ``float()``, ``round()``, ``hash()``,
``str()``, ``format()`` of a non-constant number, arithmetic with a float,
an exception raised inside the function (``Fraction(bid)`` is one: a
TypeError) or a call of ``sys.exit`` there, a branch that differs between
runs, or an invalid outcome ends that path: it is recorded as a
:class:`Fallback` naming the operation and the line of the function's
file, and the path's region is left uncovered.
``int()`` and ``range()`` of a whole number fork over its possible values;
``math.floor``, ``math.ceil``, ``//`` and ``%`` stay exact; a division by a
bid forks on the divisor being 0 (``ZeroDivisionError``, as on Fractions)
and is exact but nonlinear. A side that a solver query could not decide
within ``timeout``, a path longer than ``max_depth`` branches, and queued
prefixes left when ``path_budget`` runs are spent are cut. Any cut or
fallback makes the result incomplete.

In uncovered regions, and outside the box, the merged outcome is fresh
unconstrained values (new ones at every call). So an ``unsat`` answer
about it holds for the function whether or not exploration was complete;
a ``sat`` answer is evidence only after exact re-evaluation with
Fractions, and on an incomplete result the engine should report unknown,
not none found, for the uncovered region. Outcome feasibility (an item to
one group, payments at least 0) is not checked on the paths: the exact
re-check refuses infeasible outcomes.

How the engine calls it::

    from verifier.mechanism import symbolic_profile
    from verifier.symexec import solver_mechanism, symbolic_mechanism

    result = symbolic_mechanism(f, shape, box, path_budget=5000, timeout=2)
    rule = result.rule_for_symbolic          # profile -> Outcome
    truthful = rule(symbolic_profile(shape, "v"))
    deviated = rule(profile_with_misreport)  # bids: Sym, z3 reals, numbers
    # Outcomes of Sym/SymBool terms, as Mechanism.rule gives on symbolic
    # profiles; constrain every bid of both profiles to the box.
    result.complete              # False: a region was cut or fell back
    result.stats                 # PathStats: explored, pruned, cut, ...
    result.fallbacks             # [Fallback("float()", "f.py", 12), ...]
    result.uncovered(profile)    # SymBool: where the outcome is unknown
    result.held_apart(profile, m)  # SymBool: the comparisons made at the
                                   # profile are all at least m from ties
    result.comparisons(profile)  # (lhs, rhs) of every comparison made

    # or hand verifier.smt a mechanism whose rule is the merged one:
    mechanism = solver_mechanism(plain(f), result)
    smt.find_deviation(mechanism, shape, box, j, i, timeout=30)

The function is explored once, over fresh variables constrained to the
box; ``rule_for_symbolic`` substitutes the bids of the profile it is
given, so it may be called for any number of profiles. On an all-exact
profile it runs the function itself; batch profiles are refused.

Known limits: a path forks at every comparison the code asks about, so
sorting a group of n members costs about n! paths (720 for 6; see
benchmarks/bench_symexec.py); a loop that never branches on a bid and
never ends hangs as it would on Fractions; a bare ``except:`` in the
mechanism would swallow the signal that ends a path; comparisons combined
with ``&`` or ``|`` before being asked about are one condition to
:meth:`SymexecResult.held_apart`.
"""

import inspect
import itertools
import math
import operator
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from fractions import Fraction
from numbers import Rational
from typing import NamedTuple

import numpy as np
import z3

from .errors import (
    InvalidArgument, InvalidOutcome, InvalidProfile, MechanismError,
)
from .mechanism import Mechanism, as_outcome, exit_call, plain
from .model import Outcome, exact_profile
from .numbers import BATCH, EXACT, Sym, SymBool, kind_of, z3_value

__all__ = [
    "ForkingNumber", "ForkingBool", "Fallback", "PathStats", "SymexecResult",
    "symbolic_mechanism", "solver_mechanism", "DEFAULT_PATH_BUDGET",
    "DEFAULT_TIMEOUT",
]

DEFAULT_PATH_BUDGET = 5000
DEFAULT_TIMEOUT = 2.0
DEFAULT_MAX_DEPTH = 256
MAX_WHOLE_VALUES = 64


class Fallback(NamedTuple):
    """An operation that ended a path instead of being followed exactly."""

    operation: str
    filename: str
    line: int

    def describe(self):
        name = os.path.basename(self.filename or "<unknown>")
        return f"{self.operation} at {name}:{self.line}"


@dataclass
class PathStats:
    """Counts of one exploration.

    explored: runs that returned an outcome; pruned: branch sides the solver
    proved infeasible; cut: regions left uncovered (fallbacks, undecided
    queries, paths past max_depth, prefixes past the budget); runs: times
    the function was run; queries: solver checks; unknown: checks that
    answered unknown; nonlinear: products or quotients of two bids;
    limited: the cuts made by a limit (budget, depth, undecided query)
    rather than by a fallback.
    """

    explored: int = 0
    pruned: int = 0
    cut: int = 0
    runs: int = 0
    queries: int = 0
    unknown: int = 0
    nonlinear: int = 0
    limited: int = 0
    seconds: float = 0.0

    def counts(self):
        return {"paths_explored": self.explored, "paths_pruned": self.pruned,
                "paths_cut": self.cut, "runs": self.runs,
                "solver_queries": self.queries,
                "solver_unknown": self.unknown, "nonlinear": self.nonlinear,
                "cut_by_limits": self.limited}


class _Cut(BaseException):
    """Ends the current run; a BaseException so ``except Exception`` in the
    mechanism does not swallow it."""


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


_TRUE_ID = z3.BoolVal(True).get_id()
_FALSE_ID = z3.BoolVal(False).get_id()


def _canonical(condition):
    """(atom, positive, order): ``condition`` is ``atom`` if ``positive``,
    else its negation. A comparison becomes ``a - b <= 0`` or
    ``a - b == 0`` in normal form, so a branch the path already took is
    recognised however it was written; ``order`` is then
    ``(a, b, equal, sign)``: "a <= b" (or "a == b") holds exactly when
    the atom's truth is ``sign``. Other conditions have order None."""
    c, positive = _strip_not(z3.simplify(condition), True)
    if c.num_args() != 2 or not z3.is_arith(c.arg(0)):
        return c, positive, None
    lhs, rhs = c.arg(0), c.arg(1)
    for test, equal, swap, flip in _RELATIONS:
        if test(c):
            a, b = (rhs, lhs) if swap else (lhs, rhs)
            d = a - b
            atom, sign = _strip_not(
                z3.simplify(d == 0 if equal else d <= 0, som=True), True)
            return atom, sign == (positive != flip), (a, b, equal, sign)
    return c, positive, None


# (recogniser, is an equation, swap sides, negate) taking a comparison to
# "a <= b" or "a == b"
_RELATIONS = (
    (z3.is_le, False, False, False), (z3.is_ge, False, True, False),
    (z3.is_lt, False, True, True), (z3.is_gt, False, False, True),
    (z3.is_eq, True, False, False), (z3.is_distinct, True, False, True),
)


def _strip_not(c, positive):
    while z3.is_not(c):
        c, positive = c.arg(0), not positive
    return c, positive


def _is_constant(t):
    return z3.is_rational_value(t)


def _constant(t):
    if z3.is_int_value(t):
        return Fraction(t.as_long())
    return Fraction(t.as_fraction())


# ---------------------------------------------- decisions without a solver

class _Condition:
    """A branch condition in normal form (see _canonical); ``static`` is
    its atom's truth everywhere in the box, or None."""

    __slots__ = ("source", "atom", "positive", "order", "static", "key",
                 "ia", "ib")

    def __init__(self, source, bounds):
        self.source = source
        self.atom, self.positive, self.order = _canonical(source)
        self.static = _static_truth(self.order, bounds)
        self.key = self.atom.get_id()
        self.ia = self.ib = None
        if self.order is not None:
            self.ia, self.ib = (x.get_id() for x in self.order[:2])


def _static_truth(order, bounds):
    if order is None:
        return None
    a, b, equal, sign = order
    ba, bb = bounds(a), bounds(b)
    if ba is None or bb is None:
        return None
    (alo, ahi), (blo, bhi) = ba, bb
    if equal and (ahi < blo or bhi < alo):
        holds = False
    elif equal and alo == ahi == blo == bhi:
        holds = True
    elif not equal and (ahi <= blo or alo > bhi):
        holds = ahi <= blo
    else:
        return None
    return holds == sign


class _Bounds:
    """The interval a term ranges over when every bid is in the box, or
    None for terms it does not follow."""

    def __init__(self, variables, box):
        self.memo = {v.get_id(): (v, (box.low, box.high)) for v in variables}

    def __call__(self, t):
        key = t.get_id()
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = (t, self._compute(t))
        return found[1]

    def _compute(self, t):
        if z3.is_rational_value(t) or z3.is_int_value(t):
            v = _constant(t)
            return v, v
        if not z3.is_app(t):
            return None
        kind = t.decl().kind()
        if kind == z3.Z3_OP_ITE:
            parts = [self(t.arg(1)), self(t.arg(2))]
            if None in parts:
                return None
            return min(p[0] for p in parts), max(p[1] for p in parts)
        args = [self(t.arg(i)) for i in range(t.num_args())]
        if not args or None in args:
            return None
        return _INTERVAL_OPS.get(kind, lambda args: None)(args)


def _interval_sum(args):
    return sum(a[0] for a in args), sum(a[1] for a in args)


def _interval_difference(args):
    (lo, hi), rest = args[0], args[1:]
    return lo - sum(a[1] for a in rest), hi - sum(a[0] for a in rest)


def _interval_product(args):
    lo, hi = args[0]
    for alo, ahi in args[1:]:
        corners = [lo * alo, lo * ahi, hi * alo, hi * ahi]
        lo, hi = min(corners), max(corners)
    return lo, hi


def _interval_quotient(args):
    (lo, hi), (dlo, dhi) = args
    if dlo != dhi or dlo == 0:
        return None
    return _interval_product([(lo, hi), (1 / dlo, 1 / dlo)])


_INTERVAL_OPS = {
    z3.Z3_OP_ADD: _interval_sum,
    z3.Z3_OP_SUB: _interval_difference,
    z3.Z3_OP_UMINUS: lambda args: (-args[0][1], -args[0][0]),
    z3.Z3_OP_MUL: _interval_product,
    z3.Z3_OP_DIV: _interval_quotient,
    z3.Z3_OP_TO_REAL: lambda args: args[0],
    z3.Z3_OP_TO_INT: lambda args: (math.floor(args[0][0]),
                                   math.floor(args[0][1])),
}


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


# ------------------------------------------------------------- the tree

class _Node:
    """A point of the decision tree: a branch on ``atom``, a leaf holding
    an outcome, or a cut region. ``closed[side]`` is "pruned", "cut" or
    "queued" for a side with no child yet; ``value`` is the number a
    whole-value branch ``term == value`` tried; ``made`` the (lhs, rhs)
    of every comparison the function made since the previous branch."""

    __slots__ = ("atom", "key", "value", "children", "closed", "outcome",
                 "cut", "made")

    def __init__(self):
        self.made = []
        self.atom = self.key = None
        self.value = None
        self.children = {}
        self.closed = {}
        self.outcome = None
        self.cut = False


class _Queued(NamedTuple):
    decisions: list
    model: object
    node: _Node
    side: bool


# ------------------------------------------------------------ the explorer

class _Explorer:
    """Runs a plain function over and over, one decision prefix a time."""

    def __init__(self, fn, shape, box, path_budget, timeout, max_depth):
        self.fn, self.shape, self.box = fn, shape, box
        self.path_budget, self.max_depth = path_budget, max_depth
        self.user_file = _source_file(fn)
        self.variables = _generic_bids(shape)
        self.solver = z3.Solver()
        self.solver.set("timeout", max(1, int(timeout * 1000)))
        self.solver.add(*_in_box(self.variables, box))
        self.root = _Node()
        self.queue = []
        self.stats = PathStats()
        self.fallbacks = []
        self.conditions = {}
        self.owners = {}
        self.memo = {}
        self.profile = _forking_profile(shape, self.variables)
        self.asserted = []
        self.bounds = _Bounds(self.variables, box)

    # -- the loop

    def explore(self):
        started = time.perf_counter()
        model = self._first_model()
        self.queue.append(_Queued([], model, None, None))
        while self.queue:
            if self.stats.runs >= self.path_budget:
                self._cut_queue()
                break
            queued = self.queue.pop()
            if queued.node is not None:
                del queued.node.closed[queued.side]
            self._run(queued.decisions, queued.model)
        self.stats.seconds = time.perf_counter() - started

    def _first_model(self):
        self.stats.queries += 1
        if self.solver.check() != z3.sat:
            raise InvalidArgument(
                f"the solver found no point of the box [{self.box.low}, "
                f"{self.box.high}] within the timeout: raise timeout")
        return self.solver.model()

    def _cut_queue(self):
        for queued in self.queue:
            queued.node.closed[queued.side] = "cut"
            self.stats.cut += 1
            self.stats.limited += 1
        self.queue.clear()

    def _run(self, prefix, model):
        self.prefix, self.taken, self.model = prefix, [], model
        self.node, self.known, self.order = self.root, {}, {}
        self.stats.runs += 1
        self._keep_asserted(prefix)
        outer = getattr(_STATE, "explorer", None)
        _STATE.explorer = self
        try:
            self._finish(self._call())
        except _Cut:
            pass
        finally:
            _STATE.explorer = outer

    def _keep_asserted(self, prefix):
        """Pop the solver back to the longest common prefix of the path it
        holds and ``prefix`` (one push level per decision)."""
        common = 0
        for held, wanted in zip(self.asserted, prefix):
            if held != wanted:
                break
            common += 1
        if len(self.asserted) > common:
            self.solver.pop(len(self.asserted) - common)
            del self.asserted[common:]

    def _call(self):
        """The function's result on forking bids; its own exception ends
        the path."""
        try:
            return self.fn(self.profile)
        except _Cut:
            raise
        except SystemExit as error:
            raised = f"called {exit_call(error)}"
            site = self._site_of(error.__traceback__)
        except Exception as error:
            raised = f"raised {type(error).__name__}: {error}"
            site = self._site_of(error.__traceback__)
        self._end_path(raised, site)

    def _finish(self, result):
        try:
            terms = _outcome_terms(self.shape, result, self._joined)
        except InvalidOutcome as error:
            self._end_path(f"an invalid outcome ({error})",
                           (self.user_file, _first_line(self.fn)))
        if self._replaying() or self.node.atom is not None:
            self._end_path("a path that ends differently between runs",
                           (self.user_file, _first_line(self.fn)))
        self.node.outcome = terms
        self.stats.explored += 1

    def _joined(self, join, terms):
        """``join(terms)`` (z3.Or or z3.Sum), built once per exploration
        for the same terms."""
        key = (join, tuple(t.get_id() for t in terms))
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = (terms, join(terms))
        return found[1]

    # -- branches

    def _replaying(self):
        return len(self.taken) < len(self.prefix)

    def decide(self, condition, owner=None):
        """Whether ``condition`` (the term of ``owner``, if given) holds on
        the path this run follows."""
        cond = self._condition(condition, owner)
        key = cond.key
        if key == _TRUE_ID or key == _FALSE_ID:
            return (key == _TRUE_ID) == cond.positive
        truth = self.known.get(key)
        if truth is None:
            if cond.order is not None and not self._replaying():
                self.node.made.append(cond.order[:2])
            truth = cond.static
            if truth is None:
                truth = self._implied(cond)
            if truth is None:
                truth = self._branch(cond.atom)
            self.known[key] = truth
            self._learn(cond, truth)
        return truth == cond.positive

    def _condition(self, condition, owner):
        """The _Condition of ``condition``, remembered by its owner object
        and by its term for the conditions every run meets again (the
        tables keep both alive, so ids stay theirs)."""
        if owner is not None and id(owner) in self.owners:
            return self.owners[id(owner)][1]
        key = condition.get_id()
        found = self.conditions.get(key)
        if found is None:
            found = self.conditions[key] = _Condition(condition, self.bounds)
        if owner is not None:
            self.owners[id(owner)] = (owner, found)
        return found

    def _learn(self, cond, truth):
        """Add what a decided comparison says to the path's order graph."""
        if cond.order is None:
            return
        equal, sign = cond.order[2:]
        if truth != sign:
            if not equal:
                self.order.setdefault(cond.ib, []).append((cond.ia, True))
            return
        self.order.setdefault(cond.ia, []).append((cond.ib, False))
        if equal:
            self.order.setdefault(cond.ib, []).append((cond.ia, False))

    def _implied(self, cond):
        """The atom's truth if the path's order graph decides it, or None
        (a <= b <= c decides a <= c)."""
        if cond.order is None:
            return None
        equal, sign = cond.order[2:]
        ab = self._reach(cond.ia, cond.ib)
        ba = self._reach(cond.ib, cond.ia)
        if equal and (ab or ba):
            holds = False
        elif equal and ab is not None and ba is not None:
            holds = True
        elif not equal and (ab is not None or ba):
            holds = ab is not None
        else:
            return None
        return holds == sign

    def _reach(self, x, y):
        """None if the path does not show x <= y; else whether it shows
        x < y."""
        if x not in self.order:
            return None
        strict_to = {x: False}
        stack = [x]
        while stack:
            u = stack.pop()
            for v, strict in self.order.get(u, ()):
                s = strict_to[u] or strict
                if v not in strict_to or (s and not strict_to[v]):
                    strict_to[v] = s
                    stack.append(v)
        return strict_to.get(y)

    def _branch(self, atom, value=None):
        node = self.node
        key = atom.get_id()
        if self._replaying():
            if node.key != key:
                self.fallback("a branch that differs between runs")
            side = self.prefix[len(self.taken)]
        else:
            if len(self.taken) >= self.max_depth:
                self._end_path(None)
            node.atom, node.key, node.value = atom, key, value
            side = self._choose(node, atom)
        if len(self.taken) == len(self.asserted):
            self.solver.push()
            self.solver.add(atom if side else z3.Not(atom))
            self.asserted.append(side)
        self.taken.append(side)
        self.node = node.children.setdefault(side, _Node())
        return side

    def _choose(self, node, atom):
        """Take the side the current model satisfies; queue, prune or cut
        the other by asking the solver."""
        side = z3.is_true(self.model.eval(atom, model_completion=True))
        other = not side
        status, model = self._check(atom if other else z3.Not(atom))
        if status == z3.sat:
            node.closed[other] = "queued"
            self.queue.append(
                _Queued(self.taken + [other], model, node, other))
        elif status == z3.unsat:
            node.closed[other] = "pruned"
            self.stats.pruned += 1
        else:
            node.closed[other] = "cut"
            self.stats.cut += 1
            self.stats.limited += 1
        return side

    def _check(self, condition):
        self.stats.queries += 1
        self.solver.push()
        self.solver.add(condition)
        status = self.solver.check()
        model = self.solver.model() if status == z3.sat else None
        self.solver.pop()
        if status == z3.unknown:
            self.stats.unknown += 1
        return status, model

    # -- numbers that must become concrete

    def whole_value(self, term):
        """The Python int a whole-number term takes on this path, forking
        over its possible values."""
        term = z3.simplify(term)
        if _is_constant(term):
            return int(_constant(term))
        for _ in range(MAX_WHOLE_VALUES):
            value = _constant(self.model.eval(term, model_completion=True))
            atom, positive, _ = _canonical(term == z3_value(value))
            if atom.get_id() == _TRUE_ID and positive:
                return int(value)
            if self._replaying():
                value = self.node.value
                if value is None:
                    self.fallback("a branch that differs between runs")
                atom, positive, _ = _canonical(term == z3_value(value))
            if self._branch(atom, value) == positive:
                return int(value)
        self.fallback(f"int() of a number with over {MAX_WHOLE_VALUES} "
                      f"possible values")

    def forced_value(self, term):
        """The value ``term`` must take on this path, or None."""
        term = z3.simplify(term)
        if _is_constant(term):
            return _constant(term)
        value = self.model.eval(term, model_completion=True)
        if not z3.is_rational_value(value):
            return None
        status, _ = self._check(term != value)
        return _constant(value) if status == z3.unsat else None

    # -- ending a path early

    def fallback(self, operation):
        """Record ``operation`` at the user's line and end the path."""
        self._end_path(operation, self._site_of_stack())

    def _end_path(self, operation, site=None):
        self.node.cut = True
        self.stats.cut += 1
        if operation is None:
            self.stats.limited += 1
        else:
            fallback = Fallback(operation, *site)
            if fallback not in self.fallbacks:
                self.fallbacks.append(fallback)
        raise _Cut

    def _site_of_stack(self):
        frames = []
        frame, boundary = sys._getframe(1), _Explorer._run.__code__
        while frame is not None and frame.f_code is not boundary:
            frames.append((frame.f_code.co_filename, frame.f_lineno))
            frame = frame.f_back
        return self._pick(frames)

    def _site_of(self, tb):
        frames = [(f.filename, f.lineno) for f in traceback.extract_tb(tb)]
        return self._pick(frames[::-1])

    def _pick(self, frames):
        """The innermost frame in the mechanism's file, else the innermost
        outside the verifier package (its time limit, this module)."""
        for filename, line in frames:
            if filename == self.user_file:
                return filename, line
        for filename, line in frames:
            if not _in_verifier(filename):
                return filename, line
        return self.user_file or "<unknown>", 0


_VERIFIER = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _in_verifier(filename):
    return os.path.abspath(filename).startswith(_VERIFIER)


def _first_line(fn):
    fn = inspect.unwrap(fn)  # under a time limit: the user's function
    return getattr(getattr(fn, "__code__", None), "co_firstlineno", 0)


def _source_file(fn):
    fn = inspect.unwrap(getattr(fn, "func", fn))  # functools.partial
    code = getattr(fn, "__code__", None) or getattr(
        getattr(fn, "__call__", None), "__code__", None)
    return code.co_filename if code is not None else None


# ----------------------------------------------------- bids and outcomes

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


# ------------------------------------------------------------- merging

def _merge(node, havoc):
    """Every field (and, last, whether the region is uncovered) as a z3
    term over the decisions below ``node``."""
    if node.outcome is not None:
        return list(node.outcome) + [z3.BoolVal(False)]
    if node.cut or node.atom is None:
        return havoc + [z3.BoolVal(True)]
    parts = []
    for side in (True, False):
        if side in node.children:
            parts.append(_merge(node.children[side], havoc))
        elif node.closed.get(side) != "pruned":
            parts.append(havoc + [z3.BoolVal(True)])
    if len(parts) == 1:
        return parts[0]
    return [_choice(node.atom, a, b) for a, b in zip(*parts)]


def _choice(atom, a, b):
    ia, ib = a.get_id(), b.get_id()
    if ia == ib:
        return a
    if ia == _TRUE_ID and ib == _FALSE_ID:
        return atom
    if ia == _FALSE_ID and ib == _TRUE_ID:
        return z3.Not(atom)
    return z3.If(atom, a, b)


def _held_apart(node, margin):
    """That every comparison made on the path through ``node`` is at least
    ``margin`` from a tie, as a z3 term over the decisions below it."""
    far = [z3.Or(a - b >= margin, b - a >= margin) for a, b in node.made]
    if node.atom is not None and not node.cut:
        parts = [_held_apart(node.children[side], margin)
                 if side in node.children else z3.BoolVal(True)
                 for side in (True, False)
                 if node.closed.get(side) != "pruned"]
        far.append(_choice(node.atom, *parts) if len(parts) == 2
                   else parts[0])
    return z3.And(far) if far else z3.BoolVal(True)


def _pairs(node):
    """Every distinct (lhs, rhs) a run compared, anywhere in the tree."""
    found, stack = {}, [node]
    while stack:
        node = stack.pop()
        for a, b in node.made:
            found.setdefault((a.get_id(), b.get_id()), (a, b))
        stack.extend(node.children.values())
    return list(found.values())


@dataclass(frozen=True)
class _Merged:
    """The explored function as terms over generic bids, ready to be
    instantiated at any profile."""

    shape: object
    box: object
    variables: list
    havoc: list
    fields: list
    uncovered: object
    root: object

    def bids(self, profile):
        """The z3 terms of ``profile``'s bids, in variable order."""
        shape = self.shape
        try:
            groups = [list(group) for group in profile]
        except TypeError:
            raise InvalidProfile(
                f"profile {profile!r}: give one list of bids per group"
            ) from None
        if [len(group) for group in groups] != list(shape.groups):
            raise InvalidProfile(
                f"profile has group sizes {[len(g) for g in groups]}, the "
                f"shape needs {list(shape.groups)}")
        flat = []
        for group in groups:
            for bid in group:
                parts = list(bid) if shape.multi_item else [bid]
                if len(parts) != shape.items:
                    raise InvalidProfile(
                        f"bid {bid!r} has {len(parts)} components for "
                        f"{shape.items} items")
                flat.extend(_bid_term(x) for x in parts)
        return flat

    def substitution(self, profile):
        bids = self.bids(profile)
        fresh = [z3.FreshConst(h.sort(), "uncovered") for h in self.havoc]
        pairs = list(zip(self.variables, bids)) + list(zip(self.havoc, fresh))
        return pairs, z3.And(_in_box(bids, self.box)), fresh

    def at(self, profile, term):
        """``term`` over generic bids, at ``profile``."""
        pairs, _, _ = self.substitution(profile)
        return z3.substitute(term, *pairs)

    def outcome(self, profile):
        if kind_of(profile) == BATCH:
            raise MechanismError(
                "the merged outcome of a plain mechanism takes symbolic or "
                "exact bids, not batch ones: sample the plain mechanism "
                "itself")
        pairs, inside, fresh = self.substitution(profile)
        terms = [z3.If(inside, z3.substitute(t, *pairs), h)
                 for t, h in zip(self.fields, fresh)]
        return _unflatten(self.shape, terms)


def _bid_term(x):
    if isinstance(x, (Sym, ForkingNumber)):
        return x.t
    if isinstance(x, z3.ArithRef):
        return x
    if isinstance(x, Rational) and not isinstance(x, bool):
        return z3_value(Fraction(x))
    raise InvalidProfile(
        f"bid {x!r} of type {type(x).__name__}: expected a Sym, a z3 real "
        f"or an exact number")


def _unflatten(shape, terms):
    terms = iter(terms)
    k, m = shape.k, shape.items
    wins = tuple(tuple(SymBool(next(terms)) for _ in range(m))
                 for _ in range(k))
    charges = tuple(Sym(next(terms)) for _ in range(k))
    access = tuple(tuple(tuple(SymBool(next(terms)) for _ in range(m))
                         for _ in range(size)) for size in shape.groups)
    payments = tuple(tuple(Sym(next(terms)) for _ in range(size))
                     for size in shape.groups)
    return Outcome(wins, charges, access, payments)


# --------------------------------------------------------------- results

@dataclass(frozen=True)
class SymexecResult:
    """A plain mechanism explored into one symbolic outcome.

    ``rule_for_symbolic(profile)`` is the merged Outcome at ``profile``
    (bids: Sym, z3 reals or exact numbers; on an all-exact profile the
    function itself runs). ``complete`` is True when every region of the
    box was explored and no fallback was needed.
    """

    rule_for_symbolic: object
    stats: PathStats
    fallbacks: list
    complete: bool
    merged: object = field(repr=False, default=None)

    def uncovered(self, profile):
        """Where the outcome at ``profile`` is not the function's (a
        SymBool): an unexplored region of the box, or outside the box."""
        pairs, inside, _ = self.merged.substitution(profile)
        return SymBool(z3.Or(z3.Not(inside),
                             z3.substitute(self.merged.uncovered, *pairs)))

    def comparisons(self, profile):
        """(lhs, rhs) as Sym at ``profile`` of every comparison of numbers
        the function made on some path (those of ``&``, ``|`` between
        conditions excepted)."""
        return [(Sym(self.merged.at(profile, a)),
                 Sym(self.merged.at(profile, b)))
                for a, b in _pairs(self.merged.root)]

    def held_apart(self, profile, margin):
        """That every comparison the function makes at ``profile`` is at
        least ``margin`` from a tie (a SymBool): only the comparisons on
        the profile's own path count, as on exact numbers."""
        margin = z3_value(Fraction(margin))
        return SymBool(self.merged.at(
            profile, _held_apart(self.merged.root, margin)))

    def describe(self):
        s = self.stats
        words = (f"{s.explored} paths explored, {s.pruned} pruned, "
                 f"{s.cut} cut in {s.seconds:.2f} s")
        if self.complete:
            return words + "; complete"
        why = "; ".join(f.describe() for f in self.fallbacks) or (
            "path budget, depth limit or solver timeout")
        return words + f"; incomplete: {why}"


def symbolic_mechanism(plain_mechanism, shape, box, *,
                       path_budget=DEFAULT_PATH_BUDGET,
                       timeout=DEFAULT_TIMEOUT,
                       max_depth=DEFAULT_MAX_DEPTH):
    """Explore ``plain_mechanism`` (a function or a plain Mechanism) on
    ``shape`` with every bid in ``box`` and merge its paths into one
    symbolic outcome.

    ``path_budget`` bounds the runs of the function, ``timeout`` (seconds)
    each solver query and ``max_depth`` the branches on one path.
    """
    fn = plain_mechanism.rule if isinstance(plain_mechanism, Mechanism) \
        else plain_mechanism
    _check_arguments(fn, box, path_budget, timeout, max_depth)
    explorer = _Explorer(fn, shape, box, path_budget, timeout, max_depth)
    explorer.explore()

    havoc = [z3.Const(f"symexec_havoc_{q}", sort)
             for q, sort in enumerate(_layout(shape))]
    *fields, uncovered = _merge(explorer.root, havoc)
    merged = _Merged(shape, box, explorer.variables, havoc, fields,
                     uncovered, explorer.root)

    def rule_for_symbolic(profile):
        if kind_of(profile) == EXACT and not _has_forking(profile):
            return as_outcome(shape, fn(exact_profile(shape, profile)))
        return merged.outcome(profile)

    complete = explorer.stats.cut == 0 and not explorer.fallbacks
    return SymexecResult(rule_for_symbolic, explorer.stats,
                         list(explorer.fallbacks), complete, merged)


def solver_mechanism(mechanism, result):
    """The plain ``mechanism`` with its rule replaced by ``result``'s, and
    no longer marked plain, so verifier.smt can query it: symbolic
    profiles get the merged outcome, exact ones run the function. Batch
    profiles are refused: keep sampling the plain mechanism."""
    if not isinstance(mechanism, Mechanism):
        mechanism = plain(mechanism)
    return replace(mechanism, rule=result.rule_for_symbolic, plain=False)


def _has_forking(profile):
    stack = [profile]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (ForkingNumber, z3.ExprRef)):
            return True
    return False


def _check_arguments(fn, box, path_budget, timeout, max_depth):
    if not callable(fn):
        raise InvalidArgument(
            f"{fn!r} is not callable: pass a function taking a profile")
    if not box.low <= box.high:
        raise InvalidArgument(
            f"box [{box.low}, {box.high}] is empty: give low <= high")
    for name, value in (("path_budget", path_budget),
                        ("max_depth", max_depth)):
        if isinstance(value, bool) or not isinstance(value, int) \
                or value < 1:
            raise InvalidArgument(
                f"{name}={value!r}: give a whole number of at least 1")
    if not timeout > 0:
        raise InvalidArgument(
            f"timeout={timeout!r}: give a positive number of seconds")
