"""Footnote 2: exact welfare is easy without incentives.

The catalogue's footnote-2: each group bids the sum of its members' bids,
the highest sum wins (ties to the lowest-numbered group) and is charged
its bid, and every member pays its own bid (the charge split in proportion
to bids; a member bidding 0 is not served, and loses no welfare, valuing
the item at 0).

Welfare: on small shapes the solver looks for a truthful profile with
values >= 0 where SW differs from OPT, the highest group total; unsat
proves it optimal there. Incentives: a deviation query per shape with
values and misreports in [0, 10]; its answer is shrunk to an exact
witness (a winning member shading its bid, which still wins and pays
less).
"""

from verifier import smt
from verifier.mechanism import symbolic_profile
from verifier.model import Shape
from verifier.shrink import shrink

from . import common, solving

CLAIM = {
    "id": "footnote-2",
    "reference": "Footnote 2",
    "paper": "In a single-item setting, exact welfare maximization "
             "(without incentive-compatibility) is easy: members bid "
             "truthfully, each group reports the sum of its members' bids, "
             "the highest group bid wins and is charged its bid, and the "
             "winning group charges all its members their bids.",
    "checked": "SW = OPT on truthful profiles by z3; not DSIC by an exact "
               "witness",
}
NAME = "footnote-2"
SHAPES = ((1, 1), (2, 1), (1, 2), (2, 2), (3, 2), (3, 3), (2, 2, 1),
          (2, 2, 2))
BOX = common.value_box(0, 10)
TIMEOUT = 60.0


def build(record, shapes=SHAPES, timeout=TIMEOUT):
    mechanism = record.mechanism(NAME)
    checked = [Shape(g) for g in shapes]
    record.shapes = [s.to_json() for s in checked]
    record.domain = {"welfare": "every value >= 0",
                     "dsic": BOX.to_json()}
    record.bounds = f"{len(checked)} shapes, up to 3 groups of 3 members"
    for shape in checked:
        values = symbolic_profile(shape, "v")
        sw = common.symbolic_welfare(mechanism, shape, values)
        opt = common.symbolic_opt(shape, values)
        record.solver(
            f"{NAME} on groups {shape.groups}: a truthful profile with "
            f"SW != OPT (values >= 0)",
            solving.solve(solving.within(values, 0) + [sw != opt], timeout),
            "unsat", part="optimal", shape=shape.to_json())
    _refutation(record, mechanism, Shape((2, 1)), timeout)


def _refutation(record, mechanism, shape, timeout):
    for j, i in shape.members():
        answer = smt.find_deviation(mechanism, shape, BOX, j, i,
                                    timeout=timeout)
        record.solver(
            f"{NAME} on groups {shape.groups}: member {i + 1} of group "
            f"{j + 1} gains by some misreport in [0, 10]",
            common.engine_answer(answer), None, part="dsic",
            shape=shape.to_json(), group=j + 1, member=i + 1)
        if answer.witness is not None:
            witness, _ = shrink(mechanism, shape, BOX, answer.witness,
                                budget=common.SHRINK_BUDGET)
            common.deviation_fact(record, NAME, shape, witness, "witness")
            return


def conclude(steps):
    optimal = common.status_of(common.part(steps, "optimal"))
    witness = common.part(steps, "witness")
    refuted = bool(witness) and all(s["holds"] for s in witness)
    shapes = common.distinct_shapes(common.part(steps, "optimal"))
    if optimal == common.UNKNOWN:
        result = "unknown"
    elif optimal == common.HOLDS and refuted:
        result = "holds: optimal, not DSIC"
    else:
        result = "fails"
    example = ""
    if witness:
        w = witness[0]["inputs"]
        example = (f" (values {common.profile_text(w['profile'])}: member "
                   f"{w['member']} of group {w['group']} bids "
                   f"{w['misreport']}, gain {witness[0]['values']['gain']})")
    return {
        "result": result,
        "summary": (
            f"SW = OPT at every truthful profile on "
            f"{common.shapes_text(shapes)} ({optimal}); a winning member "
            f"gains by shading its bid{example}: not DSIC "
            f"({'refuted exactly' if refuted else 'no witness'})."),
        "conditions": [],
    }
