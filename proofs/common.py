"""Steps several claims share: DSIC with and without ties, budget balance,
individual rationality, welfare ratios; and the tallies their conclusions
draw from the steps.

The builders run the solver (through :mod:`verifier.smt` where the
engine's query is the right one, else through :mod:`proofs.solving`); the
tallies read recorded steps only, so the checker can draw the same
conclusion without a solver.
"""

from fractions import Fraction

import z3

from verifier import ops, smt
from verifier.mechanism import symbolic_profile
from verifier.model import utility, welfare
from verifier.shrink import shrink
from verifier.verdict import Box

from . import facts, solving

SHRINK_BUDGET = 4000
HOLDS, FAILS, UNKNOWN = "holds", "fails", "unknown"


# -------------------------------------------------------------- building

def shape_json(shape):
    return shape.to_json()


def dsic_with_ties(record, name, shape, box, timeout):
    """Per member: may it gain by misreporting anywhere in ``box``, ties
    included? Every sat answer becomes an exact, shrunk witness."""
    mechanism = record.mechanism(name)
    for j, i in shape.members():
        answer = smt.find_deviation(mechanism, shape, box, j, i,
                                    timeout=timeout)
        tags = _member_tags(shape, j, i)
        record.solver(
            f"{name} on groups {shape.groups}: member {i + 1} of group "
            f"{j + 1} gains by some misreport, values and misreports in "
            f"[{box.low}, {box.high}], ties included",
            engine_answer(answer), None, part="dsic-ties", **tags)
        if answer.witness is not None:
            witness, _ = shrink(mechanism, shape, box, answer.witness,
                                budget=SHRINK_BUDGET)
            deviation_fact(record, name, shape, witness, "dsic-ties")


def dsic_margin(record, name, shape, box, margin, timeout):
    """Per member: no gain at any profile whose every comparison, truthful
    and deviated, is at least ``margin`` from a tie (the engine's reading
    of "away from ties", which skips degenerate comparisons)."""
    mechanism = record.mechanism(name)
    for j, i in shape.members():
        answer = smt.find_deviation(mechanism, shape, box, j, i,
                                    timeout=timeout, margin=margin)
        record.solver(
            f"{name} on groups {shape.groups}: member {i + 1} of group "
            f"{j + 1} gains by some misreport in [{box.low}, {box.high}] "
            f"with every comparison at least {margin} from a tie",
            engine_answer(answer), "unsat", part="dsic-margin",
            region=answer.counts.get("region"), **_member_tags(shape, j, i))


def dsic_unique_top(record, name, shape, group_bids, timeout):
    """Per member: no gain at any truthful profile where, on every item,
    one group's bid is strictly the highest; values and misreports are
    any numbers >= 0. Also shows such profiles exist."""
    mechanism = record.mechanism(name)
    for j, i in shape.members():
        d = solving.symbolic_deviation(mechanism, shape, j, i)
        query = (solving.within(d.values, 0) + solving.within(d.misreport, 0)
                 + [unique_top(group_bids(d.values)), d.gain > 0])
        record.solver(
            f"{name} on groups {shape.groups}: member {i + 1} of group "
            f"{j + 1} gains by some misreport at a truthful profile whose "
            f"highest group bid is unique on every item (values >= 0)",
            solving.solve(query, timeout), "unsat", part="dsic-unique-top",
            **_member_tags(shape, j, i))
    values = symbolic_profile(shape, "v")
    record.solver(
        f"on groups {shape.groups} some profile with values >= 0 has a "
        f"unique highest group bid on every item",
        solving.solve(solving.within(values, 0)
                      + [unique_top(group_bids(values))], timeout), "sat",
        part="region-unique-top", shape=shape_json(shape))


def unique_top(bids_per_item):
    """On every item, one group's bid above every other group's."""
    return z3.And(*[
        z3.Or(*[z3.And(*[solving.term(a[j] > a[l]) for l in range(len(a))
                         if l != j]) for j in range(len(a))])
        for a in bids_per_item])


def budget_balance(record, name, shape, timeout):
    """No profile with values >= 0 where a group's members' payments do
    not sum to its charge."""
    mechanism = record.mechanism(name)
    values = symbolic_profile(shape, "v")
    out = mechanism.outcome(shape, values)
    broken = z3.Or(*[solving.term(ops.total(out.payments[j])
                                  != out.charges[j])
                     for j in range(shape.k)])
    record.solver(
        f"{name} on groups {shape.groups}: some group's payments do not "
        f"sum to its charge (values >= 0)",
        solving.solve(solving.within(values, 0) + [broken], timeout),
        "unsat", part="budget-balance", shape=shape_json(shape))


def individual_rationality(record, name, shape, timeout):
    """No profile with values >= 0 where a truthful member ends below 0."""
    mechanism = record.mechanism(name)
    values = symbolic_profile(shape, "v")
    out = mechanism.outcome(shape, values)
    below = z3.Or(*[solving.term(utility(shape, values, out, j, i) < 0)
                    for j, i in shape.members()])
    record.solver(
        f"{name} on groups {shape.groups}: some truthful member ends with "
        f"utility below 0 (values >= 0)",
        solving.solve(solving.within(values, 0) + [below], timeout),
        "unsat", part="individual-rationality", shape=shape_json(shape))


def deviation_fact(record, name, shape, witness, part, statement=None):
    """Record an exact profitable misreport, re-evaluated."""
    j, i = witness.group, witness.member
    inputs = {"mechanism": name, "shape": shape_json(shape),
              "profile": facts.bids(witness.profile), "group": j + 1,
              "member": i + 1, "misreport": facts.bids(witness.misreport)}
    return record.fact(
        "deviation", inputs,
        statement or f"{name}: at values {profile_text(inputs['profile'])}"
        f" member {i + 1} of group {j + 1} gains by bidding "
        f"{bid_text(inputs['misreport'])}",
        require=[("gain", ">", "0")], part=part)


def ratio_fact(record, name, shape, profile, part, statement, require=()):
    """Record OPT / SW of ``name`` at a truthful ``profile``."""
    inputs = {"mechanism": name, "shape": shape_json(shape),
              "profile": facts.bids(profile)}
    return record.fact("outcome", inputs, statement, require=require,
                       part=part, shape=shape_json(shape))


def symbolic_welfare(mechanism, shape, values):
    """SW of the mechanism at the symbolic truthful ``values``."""
    return solving.term(welfare(shape, values,
                                mechanism.outcome(shape, values)))


def symbolic_opt(shape, values):
    """OPT at symbolic values, for single-item and additive members: on
    each item, the group with the highest total value for it."""
    if not shape.multi_item:
        return solving.term(ops.maximum([ops.total(g) for g in values]))
    return solving.term(ops.total(
        ops.maximum([ops.total(b[r] for b in g) for g in values])
        for r in range(shape.items)))


def engine_answer(answer):
    """An engine :class:`~verifier.smt.SmtAnswer` as a solving.Answer."""
    return solving.Answer(answer.status, None, answer.smtlib, answer.reason,
                          answer.seconds)


def _member_tags(shape, j, i):
    return {"shape": shape_json(shape), "group": j + 1, "member": i + 1}


def value_box(low, high):
    """The box [low, high] for values and misreports."""
    return Box(Fraction(low), Fraction(high))


# --------------------------------------------------------------- tallies

def part(steps, name):
    """The steps of one part of a claim."""
    return [s for s in steps if s.get("part") == name]


def status_of(steps):
    """holds when every step holds, unknown when a solver gave up and
    nothing failed, fails otherwise; holds for no steps is refused."""
    assert steps, "a conclusion drawn from no steps"
    if all(_holds(s) for s in steps):
        return HOLDS
    if any(s["kind"] == "solver" and s["status"] == "unknown"
           for s in steps):
        return UNKNOWN
    return FAILS


def _holds(step):
    """A solver step holds when its answer is the expected one; a fact
    when its requirements hold (which the checker re-evaluates)."""
    if step["kind"] == "solver":
        return step["status"] == step["expect"]
    return step["holds"]


def shapes_text(shapes):
    """Group sizes of several shapes, e.g. "(1, 2), (2, 2)"."""
    return ", ".join("(" + ", ".join(map(str, s["groups"])) + ")"
                     for s in shapes)


def shapes_summary(shapes):
    """"56 shapes of 2 to 3 groups, 2 to 7 members in all"."""
    groups = [len(s["groups"]) for s in shapes]
    members = [sum(s["groups"]) for s in shapes]
    return (f"{len(shapes)} shapes of {_span(groups)} groups, "
            f"{_span(members)} members in all")


def _span(numbers):
    low, high = min(numbers), max(numbers)
    return str(low) if low == high else f"{low} to {high}"


def profile_text(profile):
    """A profile of the certificate's strings as "(1, 0); (0)"."""
    return "; ".join("(" + ", ".join(bid_text(b) for b in group) + ")"
                     for group in profile)


def bid_text(bid):
    """A bid of the certificate's strings: "3/2" or "(1, 0)"."""
    return "(" + ", ".join(bid) + ")" if isinstance(bid, list) else bid


def distinct_shapes(steps):
    seen = []
    for s in steps:
        if "shape" in s and s["shape"] not in seen:
            seen.append(s["shape"])
    return seen


def members_text(steps):
    """"member 1 of group 2 on (1, 2)", ... for member-tagged steps."""
    return "; ".join(
        f"member {s['member']} of group {s['group']} on "
        f"{shapes_text([s['shape']])}" for s in steps)


def tie_pattern(steps):
    """The member-tagged deviation answers (ties included) that break the
    rule "a member can gain at a tie exactly when its group is not the
    first and has at least two members"."""
    def predicted(s):
        return s["group"] > 1 and s["shape"]["groups"][s["group"] - 1] > 1
    return [s for s in steps if predicted(s) != (s["status"] == "sat")]


def tie_text(steps):
    """Who gains at ties, against :func:`tie_pattern`."""
    gains = sum(s["status"] == "sat" for s in steps)
    odd = tie_pattern(steps)
    fit = (f"matching all {len(steps)} answers" if not odd else
           f"except {members_text(odd)}")
    return (f"{gains} of {len(steps)} members can gain at a tie: exactly "
            f"the members of a group other than the first with at least "
            f"two members, {fit}")
