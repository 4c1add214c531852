"""Theorem 3.1: Mechanism 1 is truthful, budget balanced and individually
rational.

Checked on every shape of two or three groups with at most ``MAX_MEMBERS``
members in all, under the catalogue's tie rule (ties for the highest WTP
go to the lowest-numbered group). For each shape and member:

1. Ties included: does the member gain by some misreport, values and
   misreports in [0, 10]? (:func:`verifier.smt.find_deviation`). A sat
   answer is shrunk and kept as an exact witness, with the gap from a tie
   at its truthful profile (0: the witness rests on a tie).
2. Away from ties at margin 1/100: the same query restricted to profiles
   whose every non-degenerate comparison, at the truthful and the
   deviated profile, is at least 1/100 from equality (the engine's
   margin); expected unsat. A comparison that holds with equality at every
   profile, such as a member's bid against the sorted copy of itself, is
   no tie and is not held apart (without this rule no profile would be
   away from ties and every proof would be vacuous); the engine also
   shows that profiles away from ties exist before it accepts unsat.
3. Where exactly ties matter: the query restricted only to truthful
   profiles whose highest WTP is unique, every value and misreport any
   number >= 0 (no upper end); expected unsat, with a query showing such
   profiles exist.

Budget balance and individual rationality: one query per shape each, for
every profile with values >= 0, ties included; expected unsat.

The worked example of a tie: G1 one member of value 4, G2 two members of
values 4 and 2. Both WTPs are 4 and G1 wins the tie. G2's first member
bidding 5 makes G2 win at price 4, t = 2, each paying 2: utility 2 > 0.
"""

import itertools
from fractions import Fraction

from mechanisms.aggregation import willingness_to_pay
from verifier.model import Shape

from . import common

CLAIM = {
    "id": "theorem-3.1",
    "reference": "Theorem 3.1",
    "paper": "Mechanism 1 is truthful, budget-balanced, and individually "
             "rational.",
    "checked": "DSIC with and without ties, budget balance and individual "
               "rationality of mechanism-1, by z3, per shape and member",
}
NAME = "mechanism-1"
MAX_MEMBERS = 7
BOX = common.value_box(0, 10)
MARGIN = Fraction(1, 100)
TIMEOUT = 120.0


def shapes(max_members=MAX_MEMBERS):
    """Every shape of two or three groups with at most ``max_members``
    members in all, groups in every order."""
    out = []
    for k in (2, 3):
        for sizes in itertools.product(range(1, max_members), repeat=k):
            if sum(sizes) <= max_members:
                out.append(Shape(sizes))
    return sorted(out, key=lambda s: (s.n, s.k, s.groups))


def wtp_bids(values):
    """The group bids of Mechanism 1 on its one item."""
    return [[willingness_to_pay(list(g)) for g in values]]


def build(record, max_members=MAX_MEMBERS, timeout=TIMEOUT):
    checked = shapes(max_members)
    record.shapes = [s.to_json() for s in checked]
    record.domain = {"dsic-ties": BOX.to_json(), "margin": str(MARGIN),
                     "unique-top": "every value and misreport >= 0",
                     "budget-balance": "every value >= 0"}
    record.bounds = (f"{len(checked)} shapes: 2 or 3 groups, at most "
                     f"{max_members} members in all")
    _worked_example(record)
    for shape in checked:
        common.dsic_with_ties(record, NAME, shape, BOX, timeout)
        common.dsic_margin(record, NAME, shape, BOX, MARGIN, timeout)
        common.dsic_unique_top(record, NAME, shape, wtp_bids, timeout)
        common.budget_balance(record, NAME, shape, timeout)
        common.individual_rationality(record, NAME, shape, timeout)


def _worked_example(record):
    shape = Shape((1, 2))
    record.fact(
        "deviation",
        {"mechanism": NAME, "shape": shape.to_json(),
         "profile": [["4"], ["4", "2"]], "group": 2, "member": 1,
         "misreport": "5"},
        "tie at WTP 4: G2's first member bids 5 instead of 4, G2 wins at "
        "price 4 with t = 2 and the member pays 2",
        require=[("gain", "==", "2"), ("tie_gap_truthful", "==", "0")],
        part="worked-example")


def conclude(steps):
    """The verdict the steps support."""
    ties = common.part(steps, "dsic-ties")
    ties_solver = [s for s in ties if s["kind"] == "solver"]
    gains = [s for s in ties_solver if s["status"] == "sat"]
    witnesses = [s for s in ties if s["kind"] == "fact"]
    on_ties = [s for s in witnesses if s["values"]["tie_gap_truthful"] == "0"]
    away = {
        "margin": common.status_of(common.part(steps, "dsic-margin")),
        "unique": common.status_of(
            common.part(steps, "dsic-unique-top")
            + common.part(steps, "region-unique-top")),
    }
    bb = common.status_of(common.part(steps, "budget-balance"))
    ir = common.status_of(common.part(steps, "individual-rationality"))
    example = common.status_of(common.part(steps, "worked-example"))
    shapes_ = common.distinct_shapes(ties_solver)
    witnessed = (len(witnesses) == len(gains)
                 and all(s["holds"] for s in witnesses)
                 and len(on_ties) == len(witnesses))
    results = [away["margin"], away["unique"], bb, ir, example]
    if common.UNKNOWN in results or any(
            s["status"] == "unknown" for s in ties_solver):
        result = "unknown"
    elif set(results) != {common.HOLDS} or not witnessed:
        result = "fails"
    elif gains:
        result = "holds away from ties"
    else:
        result = "holds"
    summary = (
        f"On all {common.shapes_summary(shapes_)}: "
        f"no member gains at any truthful profile whose highest WTP is "
        f"unique ({away['unique']}), nor at margin {MARGIN} from every "
        f"tie in [0, 10] ({away['margin']}). With ties, "
        f"{common.tie_text(ties_solver)}; each witness, shrunk, is at a "
        f"tie at its truthful profile ({'yes' if witnessed else 'no'}). "
        f"Budget balance: {bb}; individual rationality: {ir}, ties "
        f"included.")
    conditions = []
    if gains:
        conditions.append(
            "truthfulness holds only away from ties: where two groups tie "
            "for the highest WTP and the tie goes to the lowest-numbered "
            "group, a member of a losing tied group can gain by raising "
            "its bid (e.g. G1 = (4), G2 = (4, 2): G2's first member bids "
            "5, G2 wins at price 4, t = 2, the member pays 2, gain 2)")
    return {"result": result, "summary": summary, "conditions": conditions}
