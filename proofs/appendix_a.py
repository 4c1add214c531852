"""Appendix A: truthful upper and lower mechanisms do not compose.

Items r (item 1) and s (item 2). G1 has two members, values (10 + 2 eps, 0)
and (5 - eps, eps); G2 one member, value (10, eps). Upper: VCG over the
group bids read as unit-demand; lower: maximum equal split.

(i) By the solver, for every group bid (x, y) of G1 in the non-negative
    quadrant, with G2 bidding (10, eps) (its lone member's bid, whatever
    the aggregation), both for eps = 1/10 and for every eps in (0, 5):
    G1 wins exactly one item and G2 the other; G1 winning r alone is
    charged 10 - eps; G1 winning s alone is charged 0.
(ii) Exactly, independent of the aggregation (the lower mechanism sees
    member bids and the charge only): charged 10 - eps for r, the bids
    (10 + 2 eps, 5 - eps) serve member 1 alone, so member 2 ends at 0;
    charged 0 for s, both members are served for free, so member 2 would
    end at eps and member 1, who values s at 0, ends at 0.
    Under each catalogue aggregation (entries appendix-a, appendix-a-sum,
    appendix-a-max), eps = 1/10: G1 wins r at the instance, and member 2
    gains eps by bidding (0, 1), which makes G1 win s. For the other case,
    where G1 wins s, the catalogue's aggregations need a member 2 who
    values s more: at values (10 + 2 eps, 0), (0, 1) G1 wins s and member
    1 gains 3 eps by bidding (20, 0), which makes G1 win r.
(iii) The conclusion for every aggregation rests on the paper's consumer
    sovereignty: that whatever the aggregation, a member can bid so that
    G1 wins the other item. Everything else is checked.
"""

from fractions import Fraction

import z3

from verifier.model import Shape

from . import common, facts, solving

CLAIM = {
    "id": "appendix-a",
    "reference": "Appendix A",
    "paper": "A two-level mechanism whose upper mechanism is VCG and whose "
             "lower mechanism is maximum equal split is not truthful, "
             "whatever the aggregation function.",
    "checked": "VCG's allocation and charges for every group bid of G1 "
               "(z3, fixed and symbolic eps); the lower mechanism's "
               "outcomes and a profitable misreport for each catalogue "
               "aggregation and each item G1 can win, exactly",
}
EPSILON = Fraction(1, 10)
ENTRIES = ("appendix-a", "appendix-a-sum", "appendix-a-max")
SHAPE = Shape((2, 1), items=2, valuation="unit-demand")
TIMEOUT = 60.0


def build(record, timeout=TIMEOUT):
    record.domain = {"epsilon": f"{EPSILON}, and every real in (0, 5) in "
                                f"the solver's steps",
                     "group bid of G1": "any pair of reals >= 0"}
    record.shapes = [SHAPE.to_json()]
    record.bounds = "the paper's instance; G1's group bid unrestricted"
    for eps in (EPSILON, None):
        _vcg(record, eps, timeout)
    _lower(record)
    for name in ENTRIES:
        _deviations(record, name)
    record.paper(
        "consumer sovereignty: whatever the aggregation, member 2 can bid "
        "so that G1 wins s when it would win r, and member 1 so that G1 "
        "wins r (and member 1 is served) when it would win s",
        "Appendix A")


def _vcg(record, eps, timeout):
    vcg = record.part("upper", "vcg")
    x, y = z3.Reals("x y")
    e = solving.real(eps) if eps is not None else z3.Real("epsilon")
    wins, charges = vcg([(solving.sym(x), solving.sym(y)),
                         (Fraction(10), solving.sym(e))])
    (r1, s1), (r2, s2) = ([solving.term(w) for w in row] for row in wins)
    p1 = solving.term(charges[0])
    claim = z3.And(
        z3.Xor(r1, s1), r2 == z3.Not(r1), s2 == z3.Not(s1),
        z3.Implies(r1, p1 == 10 - e), z3.Implies(s1, p1 == 0))
    domain = [x >= 0, y >= 0, e > 0, e < 5]
    which = f"eps = {eps}" if eps is not None else "every eps in (0, 5)"
    record.solver(
        f"VCG against G2 = (10, eps), {which}: some group bid of G1 makes "
        f"G1 win other than exactly one item, or is charged other than "
        f"10 - eps for r alone and 0 for s alone",
        solving.solve(domain + [z3.Not(claim)], timeout), "unsat",
        part="vcg", epsilon="symbolic" if eps is None else facts.q(eps))


def _lower(record):
    e = EPSILON
    bids_r = [facts.q(10 + 2 * e), facts.q(5 - e)]
    record.fact(
        "lower", {"lower": "maximum-equal-split", "bids": bids_r,
                  "charge": facts.q(10 - e)},
        "G1 charged 10 - eps for r: member 1 alone is served and pays "
        "10 - eps; member 2 is priced out",
        require=[("total", "==", facts.q(10 - e))], part="lower", item="r")
    for bid_2 in (facts.q(e), "1"):
        record.fact(
            "lower", {"lower": "maximum-equal-split", "bids": ["0", bid_2],
                      "charge": "0"},
            f"G1 charged 0 for s with member bids (0, {bid_2}): both "
            f"members are served and pay 0",
            require=[("total", "==", "0")], part="lower", item="s")


def _deviations(record, name):
    e = EPSILON
    instance = [[(10 + 2 * e, Fraction(0)), (5 - e, e)],
                [(Fraction(10), e)]]
    common.ratio_fact(record, name, SHAPE, instance, "instance",
                      f"{name}: at the paper's instance G1 wins r")
    _deviation(record, name, instance, 2, ("0", "1"), facts.q(e),
               "G1 wins r and member 2 is priced out; bidding (0, 1) makes "
               "G1 win s for free")
    other = [[(10 + 2 * e, Fraction(0)), (Fraction(0), Fraction(1))],
             [(Fraction(10), e)]]
    _deviation(record, name, other, 1, ("20", "0"), facts.q(3 * e),
               "G1 wins s, which member 1 values at 0; bidding (20, 0) "
               "makes G1 win r, member 1 served alone at 10 - eps")


def _deviation(record, name, profile, member, misreport, gain, why):
    inputs = {"mechanism": name, "shape": SHAPE.to_json(),
              "profile": facts.bids(profile), "group": 1, "member": member,
              "misreport": list(misreport)}
    record.fact("deviation", inputs, f"{name}: {why}",
                require=[("gain", "==", gain)], part="deviation",
                mechanism=name, member=member)


def conclude(steps):
    vcg = common.status_of(common.part(steps, "vcg"))
    exact = common.status_of(common.part(steps, "lower")
                             + common.part(steps, "instance")
                             + common.part(steps, "deviation"))
    wins_r = all(s["values"]["outcome"]["wins"][0] == [1]
                 for s in common.part(steps, "instance"))
    names = sorted({s["mechanism"] for s in common.part(steps, "deviation")})
    if common.UNKNOWN in (vcg, exact):
        result = "unknown"
    elif vcg == exact == common.HOLDS and wins_r:
        result = "holds (not truthful), given consumer sovereignty"
    else:
        result = "fails"
    return {
        "result": result,
        "summary": (
            f"For every group bid of G1 >= 0, VCG gives G1 exactly one "
            f"item, charging 10 - eps for r and 0 for s, at eps = 1/10 and "
            f"for every eps in (0, 5) ({vcg}). The lower mechanism's "
            f"outcomes, G1 winning r at the instance, and for each of "
            f"{', '.join(names)} a gain of eps (G1 wins r, member 2 "
            f"deviates) and of 3 eps (G1 wins s, member 1 deviates) are "
            f"re-evaluated exactly ({exact}). That every aggregation "
            f"admits such bids is the paper's consumer-sovereignty "
            f"assumption, not checked."),
        "conditions": [
            "for aggregations outside the catalogue the conclusion rests on "
            "consumer sovereignty, which the paper assumes"],
    }
