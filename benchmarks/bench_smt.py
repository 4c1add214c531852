"""The solver on Mechanism 1: how long a proof takes as groups grow.

Mechanism 1 with two groups of l members, values in [0, 10], z3 as the
solver:

- away from ties (margin 1/100): :func:`verifier.smt.prove_dsic` for every
  member, l = 2..8, as a check runs it (symmetry on), and for l up to
  NO_SYMMETRY_UP_TO with every member asked on its own;
- at ties (no margin): the same proof attempt, which finds the tie
  witnesses of the losing group;
- the encoding: one member's query (member 1 of group 1, margin 1/100) at
  l = ENCODING_L with the odd-even transposition network the symbolic sort
  used before, with the merge-exchange network on canonically ordered
  terms it uses now, and with that plus the other members' values in
  decreasing order (which the proved symmetry allows).
"""

import time
from fractions import Fraction

from mechanisms import CATALOGUE
from verifier import ops, smt
from verifier.model import Shape
from verifier.verdict import Box

BOX = Box(Fraction(0), Fraction(10))
MARGIN = Fraction(1, 100)
TIMEOUT = 600
SIZES = range(2, 9)
NO_SYMMETRY_UP_TO = 5
ENCODING_L = 6


def run():
    mechanism = CATALOGUE["mechanism-1"].mechanism
    return [_proofs(mechanism, MARGIN), _proofs(mechanism, None),
            _encodings(mechanism)]


def timed(work):
    """(wall seconds, CPU seconds of this process, result) of work()."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _proofs(mechanism, margin):
    rows = []
    for l in SIZES:
        for symmetry in (True, False):
            if not symmetry and (margin is None or l > NO_SYMMETRY_UP_TO):
                continue
            rows.append(_proof_row(mechanism, l, margin, symmetry))
    where = ("away from ties (margin 1/100)" if margin else
             "at ties too (no margin)")
    return {
        "title": f"prove_dsic on mechanism-1, groups (l, l), {where}",
        "columns": ["l", "members", "symmetry", "queries solved",
                    "answers", "wall s", "CPU s"],
        "rows": rows,
        "notes": [
            "value box [0, 10]; z3 timeout 600 s per query; wall and CPU "
            "time of the whole prove_dsic call, symmetry proofs, region "
            "checks and SMT-LIB text included",
            "symmetry on: each group is first proved interchangeable (one "
            "query per group), then asked once, for its first member, "
            "with the other members' values in decreasing order",
            "answers: how many members' answers were unsat / sat / "
            "unknown",
        ]}


def _proof_row(mechanism, l, margin, symmetry):
    wall, cpu, answers = timed(lambda: smt.prove_dsic(
        mechanism, Shape((l, l)), BOX, timeout=TIMEOUT, margin=margin,
        symmetry=symmetry))
    solved = sum(1 for a in answers if "like_member" not in a.counts)
    tally = {s: sum(1 for a in answers if a.status == s)
             for s in (smt.UNSAT, smt.SAT, smt.UNKNOWN)}
    return [l, 2 * l, "on" if symmetry else "off", solved,
            "{unsat} / {sat} / {unknown}".format(**tally),
            f"{wall:.2f}", f"{cpu:.2f}"]


def _encodings(mechanism):
    shape = Shape((ENCODING_L, ENCODING_L))
    rows = []
    for name, network, symmetry in (
            ("odd-even transposition", _odd_even_transposition, False),
            ("merge-exchange, canonical order", None, False),
            ("merge-exchange, canonical order, values ordered", None,
             True)):
        wall, cpu, answer = timed(lambda: _one_query(
            mechanism, shape, network, symmetry))
        rows.append([name, answer.status, answer.counts["comparisons"],
                     answer.counts["held_apart"], f"{wall:.2f}",
                     f"{cpu:.2f}"])
    return {
        "title": f"One query, member 1 of group 1, mechanism-1, groups "
                 f"({ENCODING_L}, {ENCODING_L}), margin 1/100",
        "columns": ["symbolic sort", "answer", "comparisons recorded",
                    "held apart", "wall s", "CPU s"],
        "rows": rows,
        "notes": [
            "odd-even transposition is the network the symbolic sort used "
            "before; the benchmark swaps it in for its row only",
            "values ordered: the other members of both groups in "
            "decreasing order, as prove_dsic asks once it has proved the "
            "groups interchangeable (that proof is not timed here)",
            "held apart counts distinct comparisons; the canonical order "
            "follows z3's term ids, so the wiring of the network, and with "
            "it this count, can differ a little from row to row",
        ]}


def _one_query(mechanism, shape, network, symmetry):
    sym = smt._NO_SYMMETRY
    if symmetry:
        sym = smt.Symmetry(frozenset(range(shape.k)))
    original = ops._sorting_network
    if network is not None:
        ops._sorting_network = network
    try:
        return smt._ask(mechanism, shape, BOX, 0, 0, TIMEOUT, MARGIN, sym,
                        smt._Polynomials())
    finally:
        ops._sorting_network = original


def _odd_even_transposition(values):
    out = list(values)
    for round_ in range(len(out)):
        for i in range(round_ % 2, len(out) - 1, 2):
            out[i], out[i + 1] = (ops.maximum([out[i], out[i + 1]]),
                                  ops.minimum([out[i], out[i + 1]]))
    return out
