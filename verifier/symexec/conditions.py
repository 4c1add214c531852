"""Branch conditions, and what settles them without the solver.

A condition is put in normal form (:func:`_canonical`), so a comparison
the path already made is recognised however it was written. It is then
settled without a solver query when the interval bounds of its two sides
over the box decide it (:class:`_Bounds`), or when the order of terms the
path has shown implies it (:class:`_Order`: a <= b <= c gives a <= c).
"""

import math
from fractions import Fraction

import z3

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


# ------------------------------------------------ truth over the whole box

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


# ------------------------------------------------- the order a path shows

class _Order:
    """The order of terms the comparisons decided on one path show, as a
    graph: an edge from the id of x to the id of y says x <= y, or x < y
    when it is marked strict."""

    def __init__(self):
        self.edges = {}

    def learn(self, cond, truth):
        """Add what a decided comparison says to the graph."""
        if cond.order is None:
            return
        equal, sign = cond.order[2:]
        if truth != sign:
            if not equal:
                self.edges.setdefault(cond.ib, []).append((cond.ia, True))
            return
        self.edges.setdefault(cond.ia, []).append((cond.ib, False))
        if equal:
            self.edges.setdefault(cond.ib, []).append((cond.ia, False))

    def implied(self, cond):
        """The atom's truth if the graph decides it, or None (a <= b <= c
        decides a <= c)."""
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
        """None if the graph does not show x <= y; else whether it shows
        x < y."""
        if x not in self.edges:
            return None
        strict_to = {x: False}
        stack = [x]
        while stack:
            u = stack.pop()
            for v, strict in self.edges.get(u, ()):
                s = strict_to[u] or strict
                if v not in strict_to or (s and not strict_to[v]):
                    strict_to[v] = s
                    stack.append(v)
        return strict_to.get(y)
