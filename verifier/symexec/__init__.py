"""Path-forking symbolic execution of plain Python mechanisms.

A plain mechanism is a function ``f(profile)`` written with ``if``, ``for``,
``sorted``, ``max``, ``min``, ``==``, ``in`` and ``sum`` over numbers (see
:func:`verifier.mechanism.plain`). It cannot run on
:class:`verifier.numbers.Sym`, which refuses to branch. This package runs it
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

Inside the package: :mod:`.forking` holds ForkingNumber and ForkingBool;
:mod:`.conditions` the normal form of a branch condition, interval bounds
over the box and the order a path has shown; :mod:`.explorer` the runs
and the solver queries; :mod:`.tree` the decision tree, its counts and
fallbacks; :mod:`.outcomes` bids and outcomes as z3 terms; :mod:`.merge`
the one symbolic outcome. This module holds the entry points.
"""

from dataclasses import dataclass, field, replace
from fractions import Fraction

import z3

from ..errors import InvalidArgument
from ..mechanism import Mechanism, as_outcome, plain
from ..model import exact_profile
from ..numbers import EXACT, Sym, SymBool, kind_of, z3_value
from .explorer import _Explorer
from .forking import ForkingBool, ForkingNumber
from .merge import _held_apart, _merge, _Merged, _pairs
from .outcomes import _layout
from .tree import Fallback, PathStats

__all__ = [
    "ForkingNumber", "ForkingBool", "Fallback", "PathStats", "SymexecResult",
    "symbolic_mechanism", "solver_mechanism", "DEFAULT_PATH_BUDGET",
    "DEFAULT_TIMEOUT",
]

DEFAULT_PATH_BUDGET = 5000
DEFAULT_TIMEOUT = 2.0
DEFAULT_MAX_DEPTH = 256


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
    return replace(mechanism, rule=result.rule_for_symbolic, plain=False,
                   held_apart=result.held_apart)


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
