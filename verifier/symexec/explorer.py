"""The path explorer: runs a plain function once per decision prefix.

At a branch the explorer either replays a recorded decision or makes a
new one: settled without the solver when it can be (see
:mod:`.conditions`), else by asking z3 which sides are feasible under the
path condition and the box; one side is taken, the other queued, an
infeasible one pruned. The function is re-run from the start for every
queued prefix (depth first) until none is left or the budget is spent.
An operation it cannot follow ends the path as a :class:`Fallback` that
names the line of the user's file.
"""

import inspect
import os
import sys
import time
import traceback

import z3

from ..errors import InvalidArgument, InvalidOutcome
from ..mechanism import exit_call
from ..numbers import z3_value
from .conditions import (
    _FALSE_ID, _TRUE_ID, _Bounds, _Condition, _Order, _canonical, _constant,
    _is_constant,
)
from .forking import _STATE
from .outcomes import (
    _forking_profile, _generic_bids, _in_box, _outcome_terms,
)
from .tree import Fallback, PathStats, _Node, _Queued

MAX_WHOLE_VALUES = 64


class _Cut(BaseException):
    """Ends the current run; a BaseException so ``except Exception`` in the
    mechanism does not swallow it."""


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
        self.node, self.known, self.order = self.root, {}, _Order()
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
                truth = self.order.implied(cond)
            if truth is None:
                truth = self._branch(cond.atom)
            self.known[key] = truth
            self.order.learn(cond, truth)
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
        outside the verifier package (its time limit, this package)."""
        for filename, line in frames:
            if filename == self.user_file:
                return filename, line
        for filename, line in frames:
            if not _in_verifier(filename):
                return filename, line
        return self.user_file or "<unknown>", 0


# the verifier package, parent of this one: a frame there is the tool's own
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_VERIFIER = _PACKAGE + os.sep


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

