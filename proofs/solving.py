"""The solver side of the proofs: z3 queries, each with a timeout, each kept
as SMT-LIB text so that any SMT-LIB solver can answer it again.

A query is a list of z3 facts; ``unsat`` proves that no assignment meets
them all, ``sat`` comes with a model, ``unknown`` (a timeout, say) proves
nothing and is reported as unknown.
"""

import time
from dataclasses import dataclass
from fractions import Fraction

import z3

from verifier.deviation import deviate
from verifier.mechanism import symbolic_profile
from verifier.model import utility
from verifier.numbers import Sym, z3_value

from .evidence import load_blocks

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"


@dataclass
class Answer:
    """One query: its status, the model when sat, the query as SMT-LIB,
    why the solver gave up when unknown, and the seconds it took."""

    status: str
    model: object
    smtlib: str
    reason: str
    seconds: float


def solve(facts, timeout):
    """Ask z3 whether ``facts`` can all hold; ``timeout`` in seconds."""
    started = time.perf_counter()
    solver = z3.Solver()
    solver.set("timeout", milliseconds(timeout))
    solver.add(*facts)
    result = solver.check()
    smtlib = "(set-logic ALL)\n" + solver.to_smt2()
    if result == z3.sat:
        return Answer(SAT, solver.model(), smtlib, "",
                      time.perf_counter() - started)
    if result == z3.unsat:
        return Answer(UNSAT, None, smtlib, "", time.perf_counter() - started)
    return Answer(UNKNOWN, None, smtlib,
                  f"z3 gave up ({solver.reason_unknown()}) within "
                  f"{timeout:g} s", time.perf_counter() - started)


def minimum(facts, goal, timeout):
    """z3's infimum of ``goal`` under ``facts`` as ``(value, attained)``,
    or the reason there is none (a string).

    ``attained`` is False when the infimum is approached but not reached
    (z3 reports it with an infinitesimal epsilon). The optimizer is a
    search: what it finds must be confirmed by plain queries.
    """
    opt = z3.Optimize()
    opt.set("timeout", milliseconds(timeout))
    opt.add(*facts)
    handle = opt.minimize(goal)
    if opt.check() != z3.sat:
        return f"the optimizer gave up ({opt.reason_unknown()})"
    infinite, value, epsilon = (fraction(x) for x in handle.lower_values())
    if infinite:
        return "the optimizer reports no lower bound"
    return value, epsilon == 0


def milliseconds(seconds):
    return max(1, round(seconds * 1000))


def real(x):
    """An exact z3 real."""
    return z3_value(Fraction(x))


def fraction(t):
    """The Fraction of a z3 rational or integer numeral."""
    if z3.is_int_value(t):
        return Fraction(t.as_long())
    return Fraction(t.numerator_as_long(), t.denominator_as_long())


def leaves(x):
    """The z3 terms of a value, bid, group or profile, in order."""
    if isinstance(x, (tuple, list)):
        return [t for part in x for t in leaves(part)]
    return [z3_value(x)]


def exact(model, x):
    """The model's value of ``x`` (nested tuples of terms) in Fractions.

    Every query here is linear, so z3's models are rational; an algebraic
    number would be a bug and raises.
    """
    if isinstance(x, (tuple, list)):
        return tuple(exact(model, part) for part in x)
    value = model.eval(z3_value(x), model_completion=True)
    assert not z3.is_algebraic_value(value), f"irrational model {value}"
    return fraction(value)


def within(x, low, high=None):
    """Every term of ``x`` at least ``low`` and, if given, at most
    ``high``."""
    facts = [t >= real(low) for t in leaves(x)]
    if high is not None:
        facts += [t <= real(high) for t in leaves(x)]
    return facts


def integral(x):
    """Every term of ``x`` a whole number (for small, readable models)."""
    return [z3.IsInt(t) for t in leaves(x)]


@dataclass
class Deviation:
    """Member ``j``, ``i`` of a symbolic profile bids ``misreport``."""

    values: tuple
    misreport: object
    truthful: object
    deviated: object
    gain: object


def symbolic_deviation(mechanism, shape, j, i):
    """True values ``v``, a misreport ``b`` of member ``i`` of group ``j``
    (both fresh z3 reals), both outcomes, and the member's gain."""
    values = symbolic_profile(shape, "v")
    misreport = symbolic_profile(shape, "b")[j][i]
    truthful = mechanism.outcome(shape, values)
    deviated = mechanism.outcome(shape, deviate(values, j, i, misreport))
    gain = (utility(shape, values, deviated, j, i)
            - utility(shape, values, truthful, j, i))
    return Deviation(values, misreport, truthful, deviated, z3_value(gain))


def term(x):
    """The z3 term of a symbolic number, bool or constant."""
    return z3_value(x)


def sym(t):
    """A z3 term as a symbolic number for the catalogue's code."""
    return Sym(t)


def answer_again(cert, folder, timeout, steps=None):
    """Answer a certificate's stored SMT-LIB queries with z3 again: one
    ``(step id, recorded status, status now)`` per solver step (or per
    step of ``steps``, a list of ids). Outside the exact checker, which
    runs no solver."""
    blocks = load_blocks(folder, cert["evidence"]["smtlib"])
    out = []
    for step in cert["evidence"]["steps"]:
        if step["kind"] != "solver" or (steps and step["id"] not in steps):
            continue
        solver = z3.Solver()
        solver.set("timeout", milliseconds(timeout))
        solver.from_string(blocks[step["smtlib"]["block"] - 1])
        out.append((step["id"], step["status"], str(solver.check())))
    return out
