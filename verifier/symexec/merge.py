"""The merge of explored paths into one symbolic outcome.

The runs form a decision tree; every outcome field becomes a nested z3
``If`` over the tree's decisions, and a cut or unexplored region gives
fresh unconstrained values there. :class:`_Merged` holds the result over
generic bids and instantiates it at any profile.
"""

from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational

import z3

from ..errors import InvalidProfile, MechanismError
from ..model import Outcome
from ..numbers import BATCH, Sym, SymBool, kind_of, z3_value
from .conditions import _FALSE_ID, _TRUE_ID
from .forking import ForkingNumber
from .outcomes import _in_box


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
    far = [z3.Or(a - b >= margin, b - a >= margin) for a, b in node.made
           if not _degenerate(a, b)]
    if node.atom is not None and not node.cut:
        parts = [_held_apart(node.children[side], margin)
                 if side in node.children else z3.BoolVal(True)
                 for side in (True, False)
                 if node.closed.get(side) != "pruned"]
        far.append(_choice(node.atom, *parts) if len(parts) == 2
                   else parts[0])
    return z3.And(far) if far else z3.BoolVal(True)


def _degenerate(a, b):
    """A comparison of a term with itself (a bid with its own sorted copy):
    equal at every profile, so no tie to keep away from."""
    difference = z3.simplify(a - b)
    return z3.is_rational_value(difference) and \
        difference.as_fraction() == 0


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

