"""Mechanisms: the two-level composition, per-item runs and plain code.

A mechanism's rule maps a profile (a tuple per group of member bids) to an
:class:`~verifier.model.Outcome`. Rules built here use only
:mod:`verifier.ops`, so one rule runs on exact, batch and symbolic numbers.
A plain rule, written with ``if`` over numbers, is wrapped as a black box:
it runs on exact numbers only, and every verdict about it says so.
"""

import hashlib
import inspect
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Integral, Rational

import numpy as np
import z3

from . import ops
from .errors import (
    InvalidOutcome, InvalidProfile, InvalidShape, MechanismError,
)
from .model import (
    ADDITIVE, SINGLE, UNIT_DEMAND, Outcome, check_outcome, exact_profile,
    value_of,
)
from .numbers import EXACT, Batch, BranchOnBid, Sym, kind_of


@dataclass(frozen=True)
class Mechanism:
    """A complete mechanism with its name, classes and tie rule.

    ``plain`` marks a black box that only runs on exact numbers;
    ``groups_of_one`` a single-level auction that needs every group to have
    one member; ``parts`` the functions whose source defines it.
    ``held_apart(profile, margin)``, when set, says that every comparison
    the mechanism makes at a symbolic profile is ``margin`` from a tie, for
    rules whose comparisons are not made on :class:`~verifier.numbers.Sym`
    (plain code read by symbolic execution).
    """

    name: str
    rule: object
    valuations: tuple = (SINGLE,)
    tie_rule: str = "none needed"
    plain: bool = False
    groups_of_one: bool = False
    parts: tuple = field(default=(), repr=False)
    doc: str = field(default="", repr=False)
    held_apart: object = field(default=None, repr=False, compare=False)

    def accepts(self, shape):
        """Raise InvalidShape unless this mechanism is defined on ``shape``."""
        if shape.valuation not in self.valuations:
            raise InvalidShape(
                f"{self.name} is defined for {', '.join(self.valuations)} "
                f"valuations, not {shape.valuation!r}: pass a valuation "
                f"it accepts")
        if self.groups_of_one and shape.ell != 1:
            raise InvalidShape(
                f"{self.name} is a single-level auction and needs groups of "
                f"one member, not {shape.groups}: give every group one "
                f"member, e.g. {','.join(['1'] * max(2, shape.k))}")

    def outcome(self, shape, profile):
        """The outcome at ``profile``: checked and exact on exact numbers."""
        if kind_of(profile) == EXACT:
            self.accepts(shape)
            profile = exact_profile(shape, profile)
            result = self.rule(profile)
            out = as_outcome(shape, result, self.name)
            check_outcome(shape, out)
            return out
        if self.plain:
            raise MechanismError(
                f"{self.name} is plain Python: it runs on exact numbers only")
        return self.rule(profile)

    def source_hash(self):
        """SHA-256 of what defines it: the source of every part, of the
        functions of the same module they call, and the values of the
        module constants they read (a ``MODE = "second"`` changes it)."""
        digest = hashlib.sha256()
        for text in _definition(self.parts or (self.rule,)):
            digest.update(text.encode())
        return digest.hexdigest()


_CONSTANTS = (int, float, str, bytes, bool, Fraction, type(None))


def _definition(parts):
    """The texts that define ``parts``, following calls and constants
    within each function's own module, in a fixed order."""
    seen, texts, todo = set(), [], list(parts)
    while todo:
        part = todo.pop(0)
        if id(part) in seen:
            continue
        seen.add(id(part))
        try:
            texts.append(inspect.getsource(part))
        except (OSError, TypeError):
            texts.append(repr(part))
        for name in sorted(_names(getattr(part, "__code__", None))):
            value = getattr(part, "__globals__", {}).get(name)
            if _constant(value):
                texts.append(f"{name} = {value!r}")
            elif (inspect.isfunction(value)
                  and value.__module__ == part.__module__):
                todo.append(value)
    return texts


def _names(code):
    if code is None:
        return set()
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _names(const)
    return names


def _constant(value):
    if isinstance(value, (tuple, frozenset)):
        return all(_constant(v) for v in value)
    return isinstance(value, _CONSTANTS)


# ---------------------------------------------------------- composition

def compose(name, aggregate, upper, lower, valuation=SINGLE, doc=""):
    """The two-level mechanism: members -> group bids -> upper -> lower.

    ``aggregate(bids)`` maps a group's bids for one item to its bid for that
    item and is applied item by item. ``upper(group_bids)`` returns
    ``(wins, charges)`` with ``wins[j][r]`` whether group j gets item r.
    ``lower(bids, won, charge)`` returns ``(served, payments)`` for one
    group: a member that is served gets every item its group won. With
    several items, a member's bid in the lower mechanism is its bid for the
    bundle its group won (the bundle is one good).
    """
    def rule(profile):
        group_bids = [_aggregate(aggregate, group, valuation)
                      for group in profile]
        wins, charges = upper(group_bids)
        access, payments = [], []
        for group, won, charge in zip(profile, wins, charges):
            won_any = ops.any_of(won)
            bids = list(group) if valuation == SINGLE else [
                value_of(_Classed(valuation), b, won) for b in group]
            served, pay = lower(bids, won_any, charge)
            access.append(tuple(tuple(ops.all_of([s, w]) for w in won)
                                for s in served))
            payments.append(tuple(pay))
        return Outcome(tuple(tuple(w) for w in wins), tuple(charges),
                       tuple(access), tuple(payments))

    ties = "; ".join(t for t in (getattr(upper, "tie_rule", ""),
                                 getattr(lower, "tie_rule", "")) if t)
    return Mechanism(name, rule, (valuation,), ties or "none needed",
                     parts=(aggregate, upper, lower, compose), doc=doc)


@dataclass(frozen=True)
class _Classed:
    """The part of a shape that :func:`value_of` reads."""
    valuation: str

    @property
    def multi_item(self):
        return self.valuation != SINGLE


def _aggregate(aggregate, group, valuation):
    if valuation == SINGLE:
        return aggregate(list(group))
    items = len(group[0])
    return tuple(aggregate([b[r] for b in group]) for r in range(items))


def per_item(name, single, doc=""):
    """Run a single-item mechanism on each item separately; payments add.

    This is how Mechanism 2 extends Mechanism 1 to additive valuations.
    """
    def rule(profile):
        items = len(profile[0][0])
        runs = [single.rule(tuple(tuple(b[r] for b in group)
                                  for group in profile))
                for r in range(items)]
        wins = tuple(tuple(run.wins[j][0] for run in runs)
                     for j in range(len(profile)))
        charges = tuple(ops.total(run.charges[j] for run in runs)
                        for j in range(len(profile)))
        access = tuple(tuple(tuple(run.access[j][i][0] for run in runs)
                             for i in range(len(group)))
                       for j, group in enumerate(profile))
        payments = tuple(tuple(ops.total(run.payments[j][i] for run in runs)
                               for i in range(len(group)))
                         for j, group in enumerate(profile))
        return Outcome(wins, charges, access, payments)

    return Mechanism(name, rule, (ADDITIVE,), single.tie_rule + ", item by item",
                     parts=single.parts + (per_item,), doc=doc)


# ------------------------------------------------------------ plain code

def plain(rule, name=None, valuations=(SINGLE, ADDITIVE, UNIT_DEMAND)):
    """Wrap a plain Python function ``profile -> Outcome | (access, payments)``.

    It runs on exact numbers only: sampling evaluates it on Fractions, and
    the solver reads it by symbolic execution (:mod:`verifier.symexec`).
    """
    if not callable(rule):
        raise MechanismError(
            f"{rule!r} is not callable: a mechanism is a function taking a "
            f"profile")
    name = name or getattr(rule, "__name__", "mechanism")
    return Mechanism(name, rule, tuple(valuations),
                     tie_rule="whatever the code does (plain Python)",
                     plain=True, parts=(rule,), doc=inspect.getdoc(rule) or "")


def as_outcome(shape, result, name="mechanism"):
    """An Outcome from what a rule returned: an Outcome, or a pair
    ``(access, payments)`` with ``access[j][i]`` a bool (one item) or a set
    of item indices counted from 0, like the bids."""
    if isinstance(result, Outcome):
        return result
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise InvalidOutcome(
            f"{name} returned {_short(result)}: return an Outcome or a pair "
            f"(access, payments)")
    raw_access, raw_payments = result
    access = []
    for j, size in enumerate(shape.groups):
        row = _row(raw_access, j, size, "access")
        access.append(tuple(_items(shape, a, j, i) for i, a in enumerate(row)))
    payments = tuple(tuple(_payment(p) for p in _row(raw_payments, j, size,
                                                     "payments"))
                     for j, size in enumerate(shape.groups))
    wins = tuple(tuple(any(member[r] for member in group)
                       for r in range(shape.items)) for group in access)
    charges = tuple(sum(group, Fraction(0)) if all(
        isinstance(p, Rational) and not isinstance(p, bool) for p in group)
        else group for group in payments)
    return Outcome(wins, charges, tuple(access), payments)


def _payment(p):
    if isinstance(p, Rational) and not isinstance(p, bool):
        return Fraction(p)
    return p


def _row(rows, j, size, what):
    try:
        row = list(rows[j])
    except (TypeError, IndexError, KeyError):
        raise InvalidOutcome(
            f"{what} has no entry for group {j + 1}: give one list per "
            f"group") from None
    if len(row) != size:
        raise InvalidOutcome(
            f"{what}[{j}] has {len(row)} entries for {size} members")
    return row


def _items(shape, a, j, i):
    if isinstance(a, (bool, np.bool_)):
        if shape.items != 1:
            raise InvalidOutcome(
                f"access of member {i + 1} of group {j + 1} is {a!r}: with "
                f"{shape.items} items give a set of item indices")
        return (bool(a),)
    try:
        if isinstance(a, (str, bytes)):
            raise TypeError("a string is not a set of items")
        chosen = set(a)
    except TypeError:
        raise InvalidOutcome(
            f"access of member {i + 1} of group {j + 1} is {_short(a)}: "
            f"access must be a bool or a set of item indices such as "
            f"{{0}}") from None
    bad = [r for r in chosen if isinstance(r, (bool, np.bool_)) or
           not isinstance(r, Integral) or not 0 <= r < shape.items]
    if bad:
        raise InvalidOutcome(
            f"access of member {i + 1} of group {j + 1} names item {bad[0]!r}:"
            f" items are indices 0..{shape.items - 1}; give a set of them "
            f"such as {{0}}, not a list of bools")
    return tuple(any(r == c for c in chosen) for r in range(shape.items))


def _short(x):
    text = repr(x)
    return text if len(text) < 60 else text[:57] + "..."


# ------------------------------------------------------ profile builders

def batch_profile(shape, array):
    """A profile of Batch bids from an array of shape (N, n) or (N, n, m).

    Members are laid out group after group, as in ``shape.members()``.
    Every operation on a bid should run over contiguous memory, so the
    bids are copied into one contiguous array each, unless the profiles
    axis of ``array`` is already the fastest (as in ``columns.T`` for
    columns of shape (n, N)), when they are views of it.
    """
    array = np.asarray(array, dtype=float)
    per_profile = (shape.n, shape.items) if shape.multi_item else (shape.n,)
    if array.shape[1:] != per_profile:
        raise InvalidProfile(
            f"batch of bids has array shape {array.shape}, the shape "
            f"{shape.describe()} needs (N, {', '.join(map(str, per_profile))})"
            f": one row per profile, members group after group")
    columns = np.moveaxis(array, 0, -1)
    if columns.strides[-1] != columns.itemsize:
        columns = np.ascontiguousarray(columns)
    out, at = [], 0
    for size in shape.groups:
        group = []
        for _ in range(size):
            if shape.multi_item:
                group.append(tuple(Batch(columns[at, r])
                                   for r in range(shape.items)))
            else:
                group.append(Batch(columns[at]))
            at += 1
        out.append(tuple(group))
    return tuple(out)


def symbolic_profile(shape, prefix="b"):
    """A profile of fresh z3 reals named ``{prefix}_{group}_{member}``
    (and ``_{item}`` with several items), counted from 1."""
    def var(j, i, r=None):
        suffix = "" if r is None else f"_{r + 1}"
        return Sym(z3.Real(f"{prefix}_{j + 1}_{i + 1}{suffix}"))

    return tuple(
        tuple(var(j, i) if not shape.multi_item else
              tuple(var(j, i, r) for r in range(shape.items))
              for i in range(size))
        for j, size in enumerate(shape.groups))


def run_guarded(mechanism, shape, profile):
    """Run on an exact profile; turn a crash, or a call of ``sys.exit``,
    into a one-line MechanismError that names the profile."""
    try:
        return mechanism.outcome(shape, profile)
    except (InvalidOutcome, InvalidProfile, InvalidShape, BranchOnBid):
        raise
    except SystemExit as error:  # exiting is the mechanism's failure too
        raise MechanismError(
            f"{mechanism.name} called {exit_call(error)} at profile "
            f"{format_profile(profile)}: a mechanism returns an outcome; "
            f"raise an exception instead of exiting") from error
    except Exception as error:  # the mechanism's own failure
        raise MechanismError(
            f"{mechanism.name} raised {type(error).__name__}: {error} at "
            f"profile {format_profile(profile)}") from error


def exit_call(error):
    """``sys.exit(3)``: how the code that raised SystemExit ``error``
    would have called it."""
    return "sys.exit()" if error.code is None else \
        f"sys.exit({error.code!r})"


def format_profile(profile):
    def num(x):
        return "(" + ", ".join(map(str, x)) + ")" if isinstance(
            x, tuple) else str(x)
    return "[" + "; ".join(", ".join(num(b) for b in group)
                           for group in profile) + "]"
