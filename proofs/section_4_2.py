"""Section 4.2: the unit-demand lower bound n, and where the catalogue's
VCG upper mechanism stands against its lemmas.

Lemma 4.8's instance, exactly, for n = 2..5 and epsilon = 1/10: n groups
of one unit-demand member, n items, every member valuing item 1 at
1 + epsilon and every other item at 1. OPT = n + epsilon. An upper
mechanism that charges one price for every non-empty bundle gives a group
either nothing or a bundle holding item 1 (the proof of Lemma 4.8); over
every feasible allocation of that form the best welfare is 1 + epsilon
(every allocation is tried). For contrast, VCG (the catalogue entry
appendix-a, whose groups of one bid their member's bid) reaches OPT there,
checked for n = 2..4 (at n = 5 its exact run tries 5^5 allocations and
takes seconds).

VCG over unit-demand group bids (mechanisms.upper.vcg_unit_demand), groups
of one member, by the solver, with the other groups' bids any reals >= 0:

- its charge to a group depends only on the bundle it gets (two bids of
  the group that win the same bundle are charged the same), so p^j(S) is
  well defined;
- Lemma 4.5 holds: a bid winning S and one winning a strict superset T
  are never charged p(S) > p(T);
- Lemma 4.3's conclusion fails: with the other group bidding 10 on item 1
  and 1 on every other item, no bid wins every item, so [m] is not in the
  range; then exactly: bids (20, 0) and (0, 20) win {1} at 9 and {2} at 0,
  two bundles of the range at different prices, so Corollary 4.7 fails
  too, and Lemma 4.6 has no [m] to compare with.

This contradicts nothing: Lemmas 4.3 to 4.7 are about truthful two-level
mechanisms, and VCG with maximum equal split is not one (Appendix A).
"""

from fractions import Fraction

import z3

from verifier.model import Shape

from . import common, facts, solving

CLAIM = {
    "id": "section-4.2",
    "reference": "Section 4.2: Lemma 4.8, Lemma 4.5, Corollary 4.7",
    "paper": "No truthful two-level mechanism beats an n-approximation for "
             "unit-demand members (Theorem 4.2), through Lemmas 4.3-4.8.",
    "checked": "Lemma 4.8's instance exactly; Lemmas 4.3 and 4.5 and "
               "Corollary 4.7 for the catalogue's VCG upper mechanism, by "
               "z3 and exact witnesses",
}
EPSILON = Fraction(1, 10)
SIZES = range(2, 6)
VCG_SIZES = range(2, 5)
VCG_SHAPES = ((2, 2), (2, 3), (2, 4), (3, 2), (3, 3))
TIMEOUT = 60.0


def build(record, sizes=SIZES, vcg_shapes=VCG_SHAPES, timeout=TIMEOUT):
    record.part("upper", "vcg")
    record.domain = {"epsilon": str(EPSILON),
                     "group bids": "any reals >= 0"}
    record.bounds = (f"Lemma 4.8 for n = {min(sizes)}..{max(sizes)}; VCG "
                     f"on (groups, items) = "
                     f"{', '.join(map(str, vcg_shapes))}")
    for n in sizes:
        _equal_prices(record, n)
    for k, m in vcg_shapes:
        for j in sorted({0, k - 1}):
            _vcg_lemmas(record, k, m, j, timeout)
    for m in sorted({m for k, m in vcg_shapes if k == 2}):
        _whole_bundle(record, m, timeout)
    _two_prices(record)
    record.paper(
        "Lemmas 4.3 to 4.7 hold for truthful two-level mechanisms with "
        "consumer sovereignty; VCG with maximum equal split is not truthful "
        "(Appendix A), so where VCG fails them nothing is contradicted",
        "Section 4.2 and Appendix A")


def _equal_prices(record, n):
    record.fact(
        "equal-price-welfare", {"n": n, "epsilon": facts.q(EPSILON)},
        f"n = {n}: OPT = n + epsilon, while giving each group nothing or a "
        f"bundle with item 1 reaches at most 1 + epsilon",
        require=[("opt", "==", facts.q(n + EPSILON)),
                 ("best", "==", facts.q(1 + EPSILON))],
        part="lemma-4.8", n=n)
    if n not in VCG_SIZES:
        return
    shape = Shape((1,) * n, items=n, valuation="unit-demand")
    value = [facts.q(1 + EPSILON)] + ["1"] * (n - 1)
    common.ratio_fact(
        record, "appendix-a", shape, [[tuple(map(Fraction, value))]] * n,
        "vcg-reaches-opt",
        f"n = {n}: VCG over the same groups reaches OPT = n + epsilon",
        require=[("welfare", "==", facts.q(n + EPSILON))])


def _group_bids(k, m, prefix):
    return [tuple(solving.sym(z3.Real(f"{prefix}_{j + 1}_{r + 1}"))
                  for r in range(m)) for j in range(k)]


def _vcg_lemmas(record, k, m, j, timeout):
    vcg = record.part("upper", "vcg")
    others = _group_bids(k, m, "b")
    x, y = _group_bids(1, m, "x")[0], _group_bids(1, m, "y")[0]
    runs = []
    for bid in (x, y):
        bids = others[:j] + [bid] + others[j + 1:]
        wins, charges = vcg(bids)
        runs.append(([solving.term(w) for w in wins[j]],
                     solving.term(charges[j])))
    (s, p_s), (t, p_t) = runs
    domain = solving.within([others[:j] + others[j + 1:], x, y], 0)
    same = z3.And(*[a == b for a, b in zip(s, t)])
    subset = z3.And(z3.And(*[z3.Implies(a, b) for a, b in zip(s, t)]),
                    z3.Or(*[z3.And(b, z3.Not(a)) for a, b in zip(s, t)]))
    tags = {"groups": k, "items": m, "group": j + 1}
    record.solver(
        f"VCG, {k} groups, {m} items: two bids of group {j + 1} win the "
        f"same bundle at different charges",
        solving.solve(domain + [same, p_s != p_t], timeout), "unsat",
        part="bundle-price", **tags)
    record.solver(
        f"VCG, {k} groups, {m} items: group {j + 1} is charged more for a "
        f"bundle S than for a strict superset T (Lemma 4.5 broken)",
        solving.solve(domain + [subset, p_s > p_t], timeout), "unsat",
        part="lemma-4.5", **tags)


def _whole_bundle(record, m, timeout):
    vcg = record.part("upper", "vcg")
    x = _group_bids(1, m, "x")[0]
    other = (Fraction(10),) + (Fraction(1),) * (m - 1)
    wins, _ = vcg([x, other])
    everything = z3.And(*[solving.term(w) for w in wins[0]])
    record.solver(
        f"VCG, 2 groups, {m} items, G2 bidding {facts.bids(other)}: some "
        f"bid of G1 wins every item (Lemma 4.3's [m] in the range)",
        solving.solve(solving.within(x, 0) + [everything], timeout),
        "unsat", part="lemma-4.3", items=m)


def _two_prices(record):
    other = ["10", "1"]
    for bid, item, price in ((["20", "0"], 1, "9"), (["0", "20"], 2, "0")):
        record.fact(
            "upper", {"upper": "vcg", "group_bids": [bid, other]},
            f"VCG: G1 bidding {bid} against {other} wins item {item} "
            f"alone, charged {price}",
            require=[("items_won_1", "==", "1"), ("charge_1", "==", price)],
            part="corollary-4.7", item=item)


def conclude(steps):
    parts = {name: common.status_of(common.part(steps, name)) for name in (
        "lemma-4.8", "vcg-reaches-opt", "bundle-price", "lemma-4.5",
        "lemma-4.3", "corollary-4.7")}
    prices = [s["values"]["charge_1"]
              for s in common.part(steps, "corollary-4.7")]
    two_prices = parts["corollary-4.7"] == common.HOLDS and len(
        set(prices)) > 1
    sizes = [s["n"] for s in common.part(steps, "lemma-4.8")]
    vcg_sizes = [len(s["inputs"]["profile"])
                 for s in common.part(steps, "vcg-reaches-opt")]
    if common.UNKNOWN in parts.values():
        result = "unknown"
    elif set(parts.values()) == {common.HOLDS} and two_prices:
        result = ("Lemma 4.8's instance holds; VCG meets Lemma 4.5 but not "
                  "Lemma 4.3 or Corollary 4.7")
    else:
        result = "fails"
    return {
        "result": result,
        "summary": (
            f"Lemma 4.8's instance for n = {sizes[0]}..{sizes[-1]}: OPT = "
            f"n + epsilon and equal bundle prices allow at most 1 + epsilon "
            f"({parts['lemma-4.8']}); VCG itself reaches OPT there for "
            f"n = {vcg_sizes[0]}..{vcg_sizes[-1]} "
            f"({parts['vcg-reaches-opt']}). VCG's charge is a function of "
            f"the bundle ({parts['bundle-price']}) and monotone in it, "
            f"Lemma 4.5 ({parts['lemma-4.5']}). Against a group bidding "
            f"(10, 1, ...), no bid wins every item: Lemma 4.3's conclusion "
            f"fails for VCG ({parts['lemma-4.3']} that it fails), and "
            f"bundles {{1}} and {{2}} cost {' and '.join(prices)}: "
            f"Corollary 4.7 fails for VCG. VCG with maximum equal split is "
            f"not truthful (Appendix A), so the lemmas do not apply to it."),
        "conditions": [],
    }
