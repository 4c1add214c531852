"""Plain Mechanism 1 read by path forking, beside the branch-free form.

The plain Mechanism 1 of tests/plain_mechanisms.py (``sorted``, ``max``,
``if`` and loops) is explored by :func:`verifier.symexec.symbolic_mechanism`
into one merged symbolic outcome; the catalogue's Mechanism 1, written
with :mod:`verifier.ops`, builds its symbolic outcome without branching.
For each shape, values in [0, 10]:

- build: exploring (symexec only) and instantiating the symbolic outcome
  at the truthful and at the deviated profile of member 1 of group 1;
- query: one z3 check that member 1 of group 1 has no misreport with a
  gain above 0 (Mechanism 1 is DSIC, so the answer should be unsat),
  with a per-query timeout of QUERY_TIMEOUT seconds.

Wall seconds on a machine shared with other jobs; the CPU seconds of this
process are given beside the build times. A second table counts the paths
of a mechanism that only sorts one group, against the group's size.
"""

import importlib.util
import time
from pathlib import Path

import z3

from mechanisms import CATALOGUE
from verifier.mechanism import symbolic_profile
from verifier.model import Shape, utility
from verifier.numbers import Sym
from verifier.symexec import DEFAULT_PATH_BUDGET, symbolic_mechanism
from verifier.verdict import Box

BOX = Box(0, 10)
SHAPES = [(1, 1), (2, 1), (3, 1), (2, 2), (4, 1), (3, 3)]
SORT_SIZES = [2, 3, 4, 5, 6]
QUERY_TIMEOUT = 120
PATH_BUDGET = 20_000


def plain_mechanisms():
    """tests/plain_mechanisms.py, loaded by path (tests is no package)."""
    path = Path(__file__).resolve().parent.parent / "tests" / \
        "plain_mechanisms.py"
    spec = importlib.util.spec_from_file_location("plain_mechanisms", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(work):
    """(wall seconds, CPU seconds of this process, result) of work()."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def gain_term(rule, shape):
    """Member 1 of group 1's gain from misreporting, as a z3 term, and
    the box constraints on every value and the misreport."""
    values = symbolic_profile(shape, "v")
    bid = Sym(z3.Real("misreport"))
    deviated = ((bid,) + tuple(values[0][1:]),) + tuple(values[1:])
    gain = (utility(shape, values, rule(deviated), 0, 0)
            - utility(shape, values, rule(values), 0, 0))
    names = [b.t for group in values for b in group] + [bid.t]
    box = [c for x in names for c in (x >= BOX.low, x <= BOX.high)]
    return gain.t, box


def answer(gain, box):
    solver = z3.Solver()
    solver.set("timeout", QUERY_TIMEOUT * 1000)
    solver.add(*box, gain > 0)
    return str(solver.check())


def forked(fn, shape):
    def build():
        result = symbolic_mechanism(fn, shape, BOX, path_budget=PATH_BUDGET)
        return result, gain_term(result.rule_for_symbolic, shape)
    wall, cpu, (result, (gain, box)) = timed(build)
    query, _, said = timed(lambda: answer(gain, box))
    s = result.stats
    return [s.explored, s.pruned, s.queries, f"{wall:.2f} ({cpu:.2f})",
            f"{query:.2f}", said + ("" if result.complete else
                                    " (incomplete)")]


def branch_free(shape):
    rule = CATALOGUE["mechanism-1"].mechanism.rule
    wall, cpu, (gain, box) = timed(lambda: gain_term(rule, shape))
    query, _, said = timed(lambda: answer(gain, box))
    return [f"{wall:.2f} ({cpu:.2f})", f"{query:.2f}", said]


def mechanism_1_table(plain):
    rows = [[" ".join(map(str, groups))]
            + forked(plain.mechanism_1, Shape(groups))
            + branch_free(Shape(groups)) for groups in SHAPES]
    return {
        "title": "Mechanism 1: plain code by path forking vs branch-free "
                 "ops",
        "columns": ["group sizes", "paths", "pruned", "solver queries",
                    "symexec build s (cpu)", "symexec query s",
                    "symexec answer", "ops build s (cpu)", "ops query s",
                    "ops answer"],
        "rows": rows,
        "notes": [
            f"Path budget {PATH_BUDGET} runs (the default is "
            f"{DEFAULT_PATH_BUDGET}); query timeout {QUERY_TIMEOUT} s.",
            "Paths grow with the orders of the bids the code can see "
            "(about n! per sorted group of n, times the branches of max "
            "and of the loop over t), so the merged outcome the solver "
            "gets grows as fast; the branch-free form stays small.",
        ],
    }


def sorting_table(plain):
    rows = []
    for size in SORT_SIZES:
        wall, cpu, result = timed(lambda: symbolic_mechanism(
            plain.sorted_top_two, Shape((size,)), BOX))
        s = result.stats
        rows.append([size, s.explored, s.queries, f"{wall:.2f}",
                     f"{cpu:.2f}", "yes" if result.complete else "no"])
    return {
        "title": "Sorting one group: paths against group size",
        "columns": ["members", "paths", "solver queries", "wall s",
                    "cpu s", "complete"],
        "rows": rows,
        "notes": ["sorted_top_two: sort the group with sorted(), serve the "
                  "top two at the third-highest bid; default path budget."],
    }


def run():
    plain = plain_mechanisms()
    return [mechanism_1_table(plain), sorting_table(plain)]
