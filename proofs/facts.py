"""Exact facts: the quantities a claim certificate states, recomputed.

A fact is a kind, its inputs and its values, all JSON with numbers written
as exact strings ("3/2"). Each kind below is a function from inputs to
values that uses only Fractions, the catalogue's mechanisms and their
building blocks on exact numbers: no solver, no floats. The proofs call it
to write a certificate and :mod:`proofs.check` calls it again to re-check
one, so a certificate can never state a number the mechanism does not give.

A fact may also carry requirements, such as ``gain > 0`` or
``ratio == 137/60``: relations between its values and exact numbers, which
:func:`requirement_holds` decides.
"""

import itertools
import math
import operator
from fractions import Fraction

from mechanisms import CATALOGUE
from mechanisms.aggregation import AGGREGATIONS
from mechanisms.cost_sharing import LOWERS
from mechanisms.upper import UPPERS
from verifier import ties
from verifier.deviation import exact_deviation
from verifier.model import (
    Shape, exact_profile, group_value, harmonic, optimal_welfare, welfare,
)

RELATIONS = {
    "<": operator.lt, "<=": operator.le, "==": operator.eq,
    "!=": operator.ne, ">=": operator.ge, ">": operator.gt,
}


# ------------------------------------------------------------- numbers

def q(x):
    """An exact number as a certificate writes it: "3/2", "4", "inf"."""
    if x == math.inf:
        return "inf"
    return str(Fraction(x))


def number(text):
    """The exact number of a string written by :func:`q`."""
    if text == "inf":
        return math.inf
    return Fraction(text)


def bids(x):
    """Bids, profiles and bundles of exact numbers as JSON strings."""
    if isinstance(x, (tuple, list)):
        return [bids(b) for b in x]
    return q(x)


def read_bids(x):
    """The exact numbers of :func:`bids`, as tuples."""
    if isinstance(x, list):
        return tuple(read_bids(b) for b in x)
    return Fraction(x)


def shape_of(data):
    return Shape.from_json(data)


# ---------------------------------------------------------------- kinds

def deviation(inputs):
    """Member ``group``/``member`` (from 1) bids ``misreport`` at
    ``profile``: both outcomes, both utilities, the gain, and the smallest
    gap from a tie among the mechanism's comparisons at each profile."""
    mechanism = CATALOGUE[inputs["mechanism"]].mechanism
    shape = shape_of(inputs["shape"])
    values = exact_profile(shape, read_bids(inputs["profile"]))
    j, i = inputs["group"] - 1, inputs["member"] - 1
    w = exact_deviation(mechanism, shape, values, j, i,
                        read_bids(inputs["misreport"]))
    deviated = tuple(g if g_j != j else g[:i] + (w.misreport,) + g[i + 1:]
                     for g_j, g in enumerate(values))
    return {
        "truthful": w.truthful.to_json(),
        "deviated": w.deviated.to_json(),
        "utility_truthful": q(w.utility_truthful),
        "utility_deviated": q(w.utility_deviated),
        "gain": q(w.gain),
        "tie_gap_truthful": q(ties.min_gap(mechanism, shape, values)),
        "tie_gap_deviated": q(ties.min_gap(mechanism, shape, deviated)),
    }


def outcome(inputs):
    """The outcome of ``mechanism`` at the truthful ``profile``, its
    welfare SW, the optimal welfare OPT and the ratio OPT / SW ("inf"
    when SW is 0 and OPT is not; 1 when both are 0)."""
    mechanism = CATALOGUE[inputs["mechanism"]].mechanism
    shape = shape_of(inputs["shape"])
    values = exact_profile(shape, read_bids(inputs["profile"]))
    out = mechanism.outcome(shape, values)
    sw = Fraction(welfare(shape, values, out))
    opt = optimal_welfare(shape, values)
    return {"outcome": out.to_json(), "welfare": q(sw), "opt": q(opt),
            "ratio": q(_ratio(opt, sw))}


def optimum(inputs):
    """OPT at ``profile`` (the best welfare of any feasible allocation)
    and each group's total value for everything."""
    shape = shape_of(inputs["shape"])
    values = exact_profile(shape, read_bids(inputs["profile"]))
    everything = set(range(shape.items))
    return {"opt": q(optimal_welfare(shape, values)),
            "totals": [q(group_value(shape, g, everything)) for g in values]}


def _ratio(opt, sw):
    if sw == 0:
        return Fraction(1) if opt == 0 else math.inf
    return opt / sw


def aggregate(inputs):
    """The group bid that aggregation ``aggregation`` makes of ``bids``
    (one item)."""
    rule = AGGREGATIONS[inputs["aggregation"]]
    return {"bid": q(rule(list(read_bids(inputs["bids"]))))}


def upper(inputs):
    """Which items upper mechanism ``upper`` gives each group (counted
    from 1) and what it charges, at the exact ``group_bids``; also
    ``charge_j`` and ``items_won_j`` for group j (from 1)."""
    rule = UPPERS[inputs["upper"]]
    wins, charges = rule(list(read_bids(inputs["group_bids"])))
    out = {"wins": [[r + 1 for r, w in enumerate(row) if w]
                    for row in wins],
           "charges": [q(c) for c in charges]}
    out.update((f"charge_{j + 1}", q(c)) for j, c in enumerate(charges))
    out.update((f"items_won_{j + 1}", q(sum(map(bool, row))))
               for j, row in enumerate(wins))
    return out


def lower(inputs):
    """Which members (from 1) lower mechanism ``lower`` serves, and what
    each pays, when the group bids ``bids`` for what it won and is
    charged ``charge``."""
    rule = LOWERS[inputs["lower"]]
    served, payments = rule(list(read_bids(inputs["bids"])), True,
                            Fraction(inputs["charge"]))
    return {"served": [i + 1 for i, s in enumerate(served) if s],
            "payments": [q(p) for p in payments],
            "total": q(sum(payments, Fraction(0)))}


def harmonic_number(inputs):
    """H_n = 1 + 1/2 + ... + 1/n."""
    return {"value": q(harmonic(inputs["n"]))}


def equal_split_capacity(inputs):
    """The largest charge a group with ``values`` can cover when the
    members it serves pay equal shares and none pays above its value:
    the maximum over non-empty sets S of |S| * min over S, found by
    trying every set (a definition independent of the WTP code)."""
    values = read_bids(inputs["values"])
    best, sets = Fraction(0), 0
    for size in range(1, len(values) + 1):
        for chosen in itertools.combinations(values, size):
            best = max(best, size * min(chosen))
            sets += 1
    return {"capacity": q(best), "sets": sets}


def equal_price_welfare(inputs):
    """Lemma 4.8's instance: ``n`` groups of one unit-demand member, ``n``
    items, every member valuing item 1 at 1 + epsilon and every other
    item at 1.

    ``opt`` is the optimal welfare. ``best`` is the best welfare over the
    feasible allocations in which every group gets either nothing or a
    bundle holding item 1, which is what an upper mechanism charging one
    price for every non-empty bundle can do (Lemma 4.8's proof); every
    allocation of items to groups or to nobody is tried.
    """
    n, eps = inputs["n"], Fraction(inputs["epsilon"])
    shape = Shape((1,) * n, items=n, valuation="unit-demand")
    value = (1 + eps,) + (Fraction(1),) * (n - 1)
    values = tuple((value,) for _ in range(n))
    best, tried, kept = Fraction(0), 0, 0
    for owner in itertools.product(range(-1, n), repeat=n):
        tried += 1
        bundles = [{r for r in range(n) if owner[r] == j} for j in range(n)]
        if any(b and 0 not in b for b in bundles):
            continue
        kept += 1
        best = max(best, sum((max(value[r] for r in b) for b in bundles
                              if b), Fraction(0)))
    return {"opt": q(optimal_welfare(shape, values)), "best": q(best),
            "allocations": tried, "admissible": kept}


KINDS = {
    "deviation": deviation,
    "outcome": outcome,
    "optimum": optimum,
    "aggregate": aggregate,
    "upper": upper,
    "lower": lower,
    "harmonic": harmonic_number,
    "equal-split-capacity": equal_split_capacity,
    "equal-price-welfare": equal_price_welfare,
}


def evaluate(kind, inputs):
    """The values of the fact ``kind`` at ``inputs``."""
    return KINDS[kind](inputs)


# --------------------------------------------------------- requirements

def requirement(left, relation, right):
    """``left relation right``: each side a value's name or an exact
    number written as a string."""
    assert relation in RELATIONS, relation
    return {"left": left, "relation": relation, "right": right}


def side(values, name):
    """A side of a requirement: a value of the fact, or a number."""
    if name in values:
        return number(values[name])
    return number(name)


def requirement_holds(values, req):
    """Whether the requirement ``req`` holds for the fact's ``values``."""
    compare = RELATIONS[req["relation"]]
    return compare(side(values, req["left"]), side(values, req["right"]))
