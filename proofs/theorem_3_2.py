"""Theorem 3.2 and its tightness: the worst ratio OPT / SW of Mechanism 1.

Domain: truthful profiles with every value >= 0 and OPT = 1 (OPT, the
highest group total, is normalised to 1; Mechanism 1 is positively
homogeneous, every step scales with the bids, so this covers every profile
with OPT > 0; at OPT = 0 every welfare is 0 and the ratio is undefined).
On this domain the worst ratio is 1 / r, r the infimum of SW. For each
shape:

1. z3's optimizer finds r and whether it is attained (a search only).
2. The solver proves SW < r impossible: the ratio never exceeds 1 / r.
3. Attained: a profile with SW = r, re-evaluated exactly. Not attained:
   the solver proves SW <= r impossible, and profiles with SW within
   1/100, 1/1000, 1/10000 of r are re-evaluated exactly.
4. 1 / r is compared with H_l, l the largest group: the theorem needs
   1 / r <= H_l, tightness 1 / r = H_l.

Theorem 3.4's instances, exactly: G1 of n - 1 members with values
1/i - delta and a lone member of value 1 give the ratio H_{n-1} -
(n - 1) delta for n = 3..10, approaching H_{n-1} as delta shrinks; with the
lone member's group first and delta = 0 the tie goes to it and the ratio
is exactly H_{n-1}.
"""

from fractions import Fraction

import z3

from verifier.mechanism import symbolic_profile
from verifier.model import Shape, harmonic

from . import common, facts, solving

CLAIM = {
    "id": "theorem-3.2",
    "reference": "Theorem 3.2 (with the tightness of Theorem 3.4)",
    "paper": "Assuming truthful bidding, Mechanism 1 achieves an "
             "H_l-approximation to the optimal social welfare, where l is "
             "the maximum size of a group.",
    "checked": "the exact worst ratio OPT / SW of mechanism-1 per shape "
               "(z3 optimum, confirmed by unsat queries and exact "
               "witnesses), beside H_l; Theorem 3.4's instances exactly",
}
NAME = "mechanism-1"
SHAPES = ((1, 1), (1, 1, 1), (1, 1, 1, 1), (2, 1), (1, 2), (2, 2),
          (2, 2, 1), (2, 2, 2), (3, 1), (1, 3), (3, 2), (2, 3), (3, 3),
          (3, 2, 1), (3, 3, 3), (4, 1), (1, 4), (4, 2), (4, 3), (4, 4),
          (5, 1), (1, 5), (2, 5), (5, 2, 1))
DELTAS = (Fraction(1, 10), Fraction(1, 100), Fraction(1, 1000))
MAX_INSTANCE = 10
TIMEOUT = 120.0


def build(record, shapes=SHAPES, max_instance=MAX_INSTANCE,
          timeout=TIMEOUT):
    mechanism = record.mechanism(NAME)
    checked = [Shape(g) for g in shapes]
    record.shapes = [s.to_json() for s in checked]
    record.domain = {"values": "every value >= 0, OPT normalised to 1"}
    record.bounds = (f"{len(checked)} shapes with l <= "
                     f"{max(s.ell for s in checked)}; instances n = "
                     f"2..{max_instance}")
    for shape in checked:
        _worst_ratio(record, mechanism, shape, timeout)
    for n in range(2, max_instance + 1):
        _instances(record, n)


def _worst_ratio(record, mechanism, shape, timeout):
    values = symbolic_profile(shape, "v")
    sw = common.symbolic_welfare(mechanism, shape, values)
    totals = [z3.Sum(solving.leaves(g)) for g in values]
    domain = (solving.within(values, 0) + [t <= 1 for t in totals]
              + [z3.Or(*[t == 1 for t in totals])])
    tags = {"shape": shape.to_json()}
    found = solving.minimum(domain, sw, timeout)
    if isinstance(found, str):
        r, attained = 1 / harmonic(shape.ell), None
        search = f"{found}; trying the paper's bound 1/H_{shape.ell}"
    else:
        (r, attained), search = found, "z3 optimum"
    sup = 1 / r
    record.solver(
        f"groups {shape.groups}: a truthful profile with OPT = 1 and SW "
        f"below {r} (the ratio above {sup}); {search}",
        solving.solve(domain + [sw < solving.real(r)], timeout), "unsat",
        part="bound", sup=facts.q(sup), **tags)
    record.fact("harmonic", {"n": shape.ell},
                f"H_{shape.ell} is at least the worst ratio {sup}",
                require=[("value", ">=", facts.q(sup))], part="compare",
                sup=facts.q(sup), **tags)
    if attained is None:
        return
    if attained:
        _witness(record, shape, values, domain + [sw == solving.real(r)],
                 [("ratio", "==", facts.q(sup))], "attained", timeout)
        return
    record.solver(
        f"groups {shape.groups}: a truthful profile with OPT = 1 and SW "
        f"at most {r} (the ratio {sup} attained)",
        solving.solve(domain + [sw <= solving.real(r)], timeout), "unsat",
        part="not-attained", **tags)
    for k in (2, 3, 4):
        near = r + Fraction(1, 10 ** k)
        _witness(record, shape, values, domain + [sw <= solving.real(near)],
                 [("ratio", ">=", facts.q(1 / near)),
                  ("ratio", "<", facts.q(sup))], "approach", timeout)


def _witness(record, shape, values, query, require, part, timeout):
    answer = solving.solve(query, timeout)
    record.solver(f"groups {shape.groups}: a profile for the {part} ratio",
                  answer, "sat", part=f"{part}-search",
                  shape=shape.to_json())
    if answer.status == "sat":
        profile = solving.exact(answer.model, values)
        common.ratio_fact(record, NAME, shape, profile, part,
                          f"groups {shape.groups}: OPT / SW at "
                          f"{facts.bids(profile)}", require=require)


def _instances(record, n):
    big, h = n - 1, harmonic(n - 1)
    for delta in DELTAS:
        profile = ([1 / Fraction(i) - delta for i in range(1, big + 1)],
                   [Fraction(1)])
        expected = max(h - big * delta, Fraction(1))
        common.ratio_fact(
            record, NAME, Shape((big, 1)), profile, "instance",
            f"instance I1, n = {n}, delta = {delta}: the lone member wins",
            require=[("ratio", "==", facts.q(expected)),
                     ("ratio", "<=", facts.q(h))])
    profile = ([Fraction(1)], [1 / Fraction(i) for i in range(1, big + 1)])
    common.ratio_fact(
        record, NAME, Shape((1, big)), profile, "instance-tie",
        f"instance I2 with delta = 0, n = {n}: the lone member wins the tie",
        require=[("ratio", "==", facts.q(h))])


def conclude(steps):
    rows, odd = [], []
    for shape in common.distinct_shapes(common.part(steps, "bound")):
        mine = {s.get("part") for s in steps if s.get("shape") == shape}
        sup = next(s["sup"] for s in common.part(steps, "bound")
                   if s["shape"] == shape)
        ell = max(shape["groups"])
        reached = ("attained" if "attained" in mine else
                   "not attained" if "not-attained" in mine else
                   "attainment not decided")
        equal = facts.number(sup) == harmonic(ell)
        rows.append(f"{common.shapes_text([shape])} {sup} {reached}"
                    f"{', = H_' + str(ell) if equal else ''}")
        if (reached == "attained") != _tie_can_attain(shape["groups"]):
            odd.append(common.shapes_text([shape]))
    instances = common.part(steps, "instance")
    largest = max(len(s["inputs"]["profile"][0]) for s in instances) + 1
    pattern = (f"matching all {len(rows)} shapes" if not odd else
               f"except {', '.join(odd)}")
    return {
        "result": common.status_of(steps),
        "summary": (
            f"Worst ratio OPT / SW over truthful profiles (values >= 0, "
            f"OPT = 1): {'; '.join(rows)}. The worst ratio is attained "
            f"exactly when l = 1 or a largest group is not the first, so "
            f"that a group before it wins a tie ({pattern}). Theorem 3.4's "
            f"instances: {len(instances)} exact ratios H_(n-1) - (n-1) "
            f"delta for n = 2..{largest}, delta = 1/10, 1/100, 1/1000, "
            f"approaching H_(n-1); exactly H_(n-1) when the lone member's "
            f"group is first and wins the tie."),
        "conditions": [],
    }


def _tie_can_attain(groups):
    ell = max(groups)
    return ell == 1 or any(size == ell for size in groups[1:])
