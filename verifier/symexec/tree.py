"""What one exploration records: its decision tree, its counts and the
operations that ended a path early."""

import os
from dataclasses import dataclass
from typing import NamedTuple


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

