"""Theorem 4.1: Mechanism 2 (Mechanism 1 item by item) is truthful, budget
balanced, individually rational and H_l-approximate for additive members.

Checked on small shapes with 2 and 3 items, as for Theorem 3.1: per member
a deviation query with ties included (values and misreports, one number
per item, in [0, 10]; a sat answer shrunk to an exact witness), one at
margin 1/100 from every tie, and one at truthful profiles whose highest
WTP is unique on every item (values >= 0, no upper end). Budget balance
and individual rationality: one query each per shape, ties included.

Welfare: the solver is asked for a truthful profile (values >= 0) with
OPT > H_l * SW, where OPT sums, over the items, the highest group total
for the item; unsat proves the ratio at most H_l. An exact profile shows
it approached: Theorem 3.4's first instance (delta = 1/100) on item 1,
zeros elsewhere.
"""

from fractions import Fraction

from mechanisms.aggregation import willingness_to_pay
from verifier.mechanism import symbolic_profile
from verifier.model import ADDITIVE, Shape, harmonic

from . import common, facts, solving

CLAIM = {
    "id": "theorem-4.1",
    "reference": "Theorem 4.1",
    "paper": "Mechanism 2 is truthful, budget-balanced, individually "
             "rational and achieves a H_l approximation to the optimal "
             "social welfare for bidders with additive valuations.",
    "checked": "DSIC with and without ties, budget balance, individual "
               "rationality and OPT <= H_l * SW of mechanism-2, by z3; "
               "a near-tight profile exactly",
}
NAME = "mechanism-2"
SHAPES = (((1, 1), 2), ((2, 1), 2), ((1, 2), 2), ((2, 2), 2), ((3, 1), 2),
          ((1, 3), 2), ((1, 1, 1), 2), ((2, 1, 1), 2), ((1, 1), 3),
          ((2, 1), 3), ((1, 2), 3), ((2, 2), 3))
BOX = common.value_box(0, 10)
MARGIN = Fraction(1, 100)
DELTA = Fraction(1, 100)
TIMEOUT = 120.0


def wtp_bids(values):
    """Mechanism 2's group bids: per item, each group's WTP for it."""
    items = len(values[0][0])
    return [[willingness_to_pay([b[r] for b in g]) for g in values]
            for r in range(items)]


def build(record, shapes=SHAPES, timeout=TIMEOUT):
    checked = [Shape(g, items, ADDITIVE) for g, items in shapes]
    record.shapes = [s.to_json() for s in checked]
    record.domain = {"dsic-ties": BOX.to_json(), "margin": str(MARGIN),
                     "unique-top": "every value and misreport >= 0",
                     "welfare": "every value >= 0"}
    record.bounds = (
        f"{len(checked)} shapes: up to {max(s.k for s in checked)} groups "
        f"and {max(s.n for s in checked)} members, "
        f"{' or '.join(sorted({str(s.items) for s in checked}))} items")
    for shape in checked:
        common.dsic_with_ties(record, NAME, shape, BOX, timeout)
        common.dsic_margin(record, NAME, shape, BOX, MARGIN, timeout)
        common.dsic_unique_top(record, NAME, shape, wtp_bids, timeout)
        common.budget_balance(record, NAME, shape, timeout)
        common.individual_rationality(record, NAME, shape, timeout)
        _ratio_bound(record, shape, timeout)
        _near_tight(record, shape)


def _ratio_bound(record, shape, timeout):
    mechanism = record.mechanism(NAME)
    values = symbolic_profile(shape, "v")
    sw = common.symbolic_welfare(mechanism, shape, values)
    opt = common.symbolic_opt(shape, values)
    h = harmonic(shape.ell)
    record.solver(
        f"{NAME} on groups {shape.groups}, {shape.items} items: a truthful "
        f"profile with OPT > H_{shape.ell} * SW (values >= 0)",
        solving.solve(solving.within(values, 0)
                      + [opt > solving.real(h) * sw], timeout),
        "unsat", part="ratio", shape=shape.to_json())


def _near_tight(record, shape):
    big = shape.groups.index(shape.ell)
    other = 1 if big == 0 else 0
    zero = (Fraction(0),) * (shape.items - 1)
    profile = []
    for j, size in enumerate(shape.groups):
        first = [1 / Fraction(i) - DELTA for i in range(1, size + 1)] if (
            j == big) else [Fraction(j == other)] + [Fraction(0)] * (size - 1)
        profile.append([(x,) + zero for x in first])
    expected = max(harmonic(shape.ell) - shape.ell * DELTA, Fraction(1))
    common.ratio_fact(
        record, NAME, shape, profile, "tight",
        f"groups {shape.groups}, {shape.items} items: Theorem 3.4's "
        f"instance on item 1 (delta = {DELTA})",
        require=[("ratio", "==", facts.q(expected))])


def conclude(steps):
    ties = [s for s in common.part(steps, "dsic-ties")
            if s["kind"] == "solver"]
    gains = [s for s in ties if s["status"] == "sat"]
    witnesses = [s for s in common.part(steps, "dsic-ties")
                 if s["kind"] == "fact"]
    witnessed = len(witnesses) == len(gains) and all(
        s["holds"] and s["values"]["tie_gap_truthful"] == "0"
        for s in witnesses)
    parts = {name: common.status_of(common.part(steps, name)) for name in (
        "dsic-margin", "dsic-unique-top", "region-unique-top",
        "budget-balance", "individual-rationality", "ratio", "tight")}
    statuses = set(parts.values())
    if common.UNKNOWN in statuses or any(s["status"] == "unknown"
                                         for s in ties):
        result = "unknown"
    elif statuses != {common.HOLDS} or not witnessed:
        result = "fails"
    else:
        result = "holds away from ties" if gains else "holds"
    shapes = common.distinct_shapes(ties)
    described = "; ".join(
        f"{common.shapes_text([s])} x {s['items']} items" for s in shapes)
    conditions = []
    if gains:
        conditions.append(
            "truthfulness holds only away from ties, as for Mechanism 1: "
            "on an item where two groups tie for the highest WTP, a member "
            "of a losing tied group can gain")
    return {
        "result": result,
        "summary": (
            f"On {described}: no gain at truthful profiles with a unique "
            f"highest WTP on every item ({parts['dsic-unique-top']}) nor "
            f"at margin {MARGIN} ({parts['dsic-margin']}); with ties, "
            f"{common.tie_text(ties)}; each witness at a tie "
            f"({'yes' if witnessed else 'no'}). Budget balance "
            f"{parts['budget-balance']}, individual rationality "
            f"{parts['individual-rationality']}, OPT <= H_l * SW "
            f"{parts['ratio']}; Theorem 3.4's instance on one item gives "
            f"H_l - l delta ({parts['tight']})."),
        "conditions": conditions,
    }
