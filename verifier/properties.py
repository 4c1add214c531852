"""Properties besides DSIC, asked of the solver: is there a profile in the
box where the property fails?

- individual_rationality: some truthful member's utility is below 0;
- budget_balance: some group's payments do not sum to its charge;
- no_positive_transfers: some payment or charge is below 0;
- feasibility: an item goes to two groups, or a member gets access to an
  item its group did not win;
- equal_treatment: two members of a group bid the same and get different
  access or pay different amounts.

``sat`` gives a profile, re-evaluated on Fractions; only a failure found
there again is reported, as a :class:`Violation`. ``unsat`` proves the
property on the shape and box.
"""

import time
from dataclasses import dataclass
from fractions import Fraction

import z3

from . import smt
from .errors import InvalidArgument
from .mechanism import as_outcome, run_guarded, symbolic_profile
from .model import exact_profile, utility
from .numbers import z3_value


@dataclass
class Violation:
    """A profile where ``prop`` fails, its exact outcome, and the failing
    fact (JSON-ready, groups, members and items counted from 1); ``group``
    and ``member`` (from 0) name who it concerns, where that is one."""

    prop: str
    profile: tuple
    outcome: object
    fact: dict
    group: int = None
    member: int = None


def check(mechanism, shape, box, prop, *, timeout):
    """Ask the solver for a profile in ``box`` where ``prop`` fails; an
    :class:`~verifier.smt.SmtAnswer` whose ``violation`` is re-checked
    exactly when the answer is sat."""
    if prop not in FAILURES:
        raise InvalidArgument(
            f"property {prop!r}: the solver checks "
            f"{', '.join(sorted(FAILURES))}")
    box, _ = smt.validate(mechanism, shape, box, timeout, None)
    started = time.perf_counter()

    v = symbolic_profile(shape, "v")
    out = mechanism.outcome(shape, v)
    fails = FAILURES[prop](shape, v, out)
    status, model, smtlib, reason = smt.solve(
        smt.in_box(smt.leaves(v), box) + [fails], timeout)

    answer = smt.SmtAnswer(status, smtlib=smtlib, reason=reason,
                           counts={"variables": len(smt.leaves(v))})
    if status == smt.SAT:
        _take_violation(answer, mechanism, shape, prop, model, v)
    answer.seconds = time.perf_counter() - started
    return answer


def _take_violation(answer, mechanism, shape, prop, model, v):
    values, rounded = smt.exact_value(model, v)
    values = exact_profile(shape, values)
    if prop in ("feasibility", "no_positive_transfers"):
        outcome = as_outcome(shape, mechanism.rule(values), mechanism.name)
    else:
        outcome = run_guarded(mechanism, shape, values)
    facts = list(FACTS[prop](shape, values, outcome))
    if facts:
        fact = facts[0]
        answer.violation = Violation(
            prop, values, outcome, fact,
            None if "group" not in fact else fact["group"] - 1,
            None if "member" not in fact else fact["member"] - 1)
        answer.group, answer.member = (answer.violation.group,
                                       answer.violation.member)
        return
    if rounded:
        answer.status = smt.UNKNOWN
        answer.reason = (f"the solver's model has irrational coordinates "
                         f"and its rational rounding shows no failure of "
                         f"{prop}")
        return
    raise smt.SolverDisagreement(
        f"{mechanism.name}: the solver says {prop} fails at {values}, but "
        f"exact re-evaluation finds no failure: the symbolic and exact "
        f"runs of the mechanism disagree; report this with the profile")


# ------------------------------------------------ failures, on z3 terms

def _t(x):
    return z3_value(x)


def _individual_rationality(shape, v, out):
    return z3.Or(*[_t(utility(shape, v, out, j, i)) < 0
                   for j, i in shape.members()])


def _budget_balance(shape, v, out):
    return z3.Or(*[z3.Sum([_t(p) for p in out.payments[j]])
                   != _t(out.charges[j]) for j in range(shape.k)])


def _no_positive_transfers(shape, v, out):
    return z3.Or(*[_t(c) < 0 for c in out.charges],
                 *[_t(p) < 0 for group in out.payments for p in group])


def _feasibility(shape, v, out):
    twice = [z3.And(_t(out.wins[g][r]), _t(out.wins[h][r]))
             for r in range(shape.items)
             for g in range(shape.k) for h in range(g + 1, shape.k)]
    unwon = [z3.And(_t(out.access[j][i][r]), z3.Not(_t(out.wins[j][r])))
             for j, i in shape.members() for r in range(shape.items)]
    return z3.Or(*twice, *unwon)


def _equal_treatment(shape, v, out):
    unequal = []
    for j, size in enumerate(shape.groups):
        for i in range(size):
            for h in range(i + 1, size):
                same_bid = z3.And(*[a == b for a, b in zip(
                    smt.leaves(v[j][i]), smt.leaves(v[j][h]))])
                treated = z3.Or(_t(out.payments[j][i]) != _t(
                    out.payments[j][h]), *[_t(a) != _t(b) for a, b in zip(
                        out.access[j][i], out.access[j][h])])
                unequal.append(z3.And(same_bid, treated))
    return z3.Or(*unequal) if unequal else z3.BoolVal(False)


FAILURES = {
    "individual_rationality": _individual_rationality,
    "budget_balance": _budget_balance,
    "no_positive_transfers": _no_positive_transfers,
    "feasibility": _feasibility,
    "equal_treatment": _equal_treatment,
}


# ----------------------------------------------- failures, on Fractions

def _ir_facts(shape, values, outcome):
    for j, i in shape.members():
        u = Fraction(utility(shape, values, outcome, j, i))
        if u < 0:
            yield {"group": j + 1, "member": i + 1, "utility": str(u)}


def _bb_facts(shape, values, outcome):
    for j in range(shape.k):
        paid = sum(outcome.payments[j], Fraction(0))
        if paid != outcome.charges[j]:
            yield {"group": j + 1, "charge": str(outcome.charges[j]),
                   "payments_sum": str(paid)}


def _transfer_facts(shape, values, outcome):
    for j in range(shape.k):
        if outcome.charges[j] < 0:
            yield {"group": j + 1, "charge": str(outcome.charges[j])}
        for i, p in enumerate(outcome.payments[j]):
            if p < 0:
                yield {"group": j + 1, "member": i + 1, "payment": str(p)}


def _feasibility_facts(shape, values, outcome):
    for r in range(shape.items):
        owners = [j + 1 for j in range(shape.k) if outcome.wins[j][r]]
        if len(owners) > 1:
            yield {"item": r + 1, "groups": owners}
    for j, i in shape.members():
        for r in range(shape.items):
            if outcome.access[j][i][r] and not outcome.wins[j][r]:
                yield {"group": j + 1, "member": i + 1, "item": r + 1}


def _equal_treatment_facts(shape, values, outcome):
    shown = outcome.to_json()
    for j, size in enumerate(shape.groups):
        for i in range(size):
            for h in range(i + 1, size):
                if values[j][i] != values[j][h]:
                    continue
                if (outcome.access[j][i] != outcome.access[j][h]
                        or outcome.payments[j][i] != outcome.payments[j][h]):
                    yield {"group": j + 1, "members": [i + 1, h + 1],
                           "access": [shown["access"][j][m] for m in (i, h)],
                           "payments": [shown["payments"][j][m]
                                        for m in (i, h)]}


FACTS = {
    "individual_rationality": _ir_facts,
    "budget_balance": _bb_facts,
    "no_positive_transfers": _transfer_facts,
    "feasibility": _feasibility_facts,
    "equal_treatment": _equal_treatment_facts,
}
