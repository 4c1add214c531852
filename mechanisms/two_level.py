"""Two-level mechanisms of "When Bidders Are DAOs" and a pooled crowdfund.

Paper: M. Bahrani, P. Garimidi, T. Roughgarden, When Bidders Are DAOs.
"""

from verifier.entry import Entry, claims
from verifier.mechanism import compose, per_item
from verifier.model import ADDITIVE, UNIT_DEMAND, Shape

from .aggregation import AGGREGATIONS, sum_of_bids, willingness_to_pay
from .cost_sharing import maximum_equal_split, proportional_split
from .upper import pay_your_bid, second_price, vcg_unit_demand

MECHANISM_1_DOC = """\
Mechanism 1: WTP aggregation, Vickrey over groups, maximum equal split.

1. Each group bids its willingness to pay WTP = max_i i * b_i, its members'
   bids sorted so that b_1 >= b_2 >= ...
2. The highest WTP wins the item and is charged p, the second-highest WTP;
   ties go to the lowest-numbered group.
3. In the winning group, t = max{i : i * b_i >= p}; the top t members get
   the item and each pays p / t.

Claims (Theorem 3.1): DSIC, budget balanced, individually rational; equal
treatment by construction. Welfare within H_l of optimal (Theorem 3.2).
The paper breaks ties arbitrarily; with this fixed rule DSIC holds away
from ties but not at them: a member of a group of two or more that loses
a tie of WTPs can raise its bid, win, and pay a share below its value.
Source: Section 3.1."""

MECHANISM_1 = Entry(
    name="mechanism-1",
    mechanism=compose("mechanism-1", willingness_to_pay, second_price,
                      maximum_equal_split, doc=MECHANISM_1_DOC),
    summary="WTP + Vickrey + maximum equal split, one item",
    source="Bahrani, Garimidi, Roughgarden, Section 3.1, Theorem 3.1",
    claims=claims(dsic=True, budget_balance=True, individual_rationality=True,
                  equal_treatment=True),
    shape=Shape((2, 2)),
)

MECHANISM_2 = Entry(
    name="mechanism-2",
    mechanism=per_item("mechanism-2", MECHANISM_1.mechanism, doc="""\
Mechanism 2: Mechanism 1 run independently on every item; payments add.

1. For each item r, run Mechanism 1 on the members' bids for r: WTP per
   group, Vickrey over the WTPs (ties to the lowest-numbered group),
   maximum equal split of the price inside the winning group.
2. A member's access is the set of items it was served; its payment is the
   sum of its shares.

Claims (Theorem 4.1), for additive members: DSIC, budget balanced,
individually rational, welfare within H_l of optimal. As for Mechanism 1,
DSIC holds away from ties but fails at a tie of WTPs on an item.
Source: Section 4.1."""),
    summary="Mechanism 1 item by item, additive members",
    source="Bahrani, Garimidi, Roughgarden, Section 4.1, Theorem 4.1",
    claims=claims(dsic=True, budget_balance=True, individual_rationality=True,
                  equal_treatment=True),
    shape=Shape((2, 2), items=2, valuation=ADDITIVE),
)

APPENDIX_A_DOC = """\
VCG over group bids with maximum equal split inside groups ({aggregation}).

1. Each group bids, for each item, the {aggregation} of its members' bids
   for that item.
2. VCG over the group bids read as unit-demand valuations: every item goes
   to some group so that bid welfare is highest (ties to the first
   allocation in lexicographic order of owners); each group pays the
   welfare the others lose by its presence.
3. In a group that won a bundle S at charge p, a member's bid for S is its
   highest bid on an item of S; maximum equal split of p on those bids
   decides who gets access to all of S and what each pays.

Claims (Appendix A): not DSIC, whatever the aggregation.
Source: Appendix A, "Truthful Mechanisms Don't Compose"."""


def _appendix_a(key, name):
    word = {"wtp": "willingness to pay", "sum": "sum",
            "max": "maximum"}[key]
    return Entry(
        name=name,
        mechanism=compose(name, AGGREGATIONS[key], vcg_unit_demand,
                          maximum_equal_split, valuation=UNIT_DEMAND,
                          doc=APPENDIX_A_DOC.format(aggregation=word)),
        summary=f"{key.upper()} + VCG + maximum equal split, unit-demand",
        source="Bahrani, Garimidi, Roughgarden, Appendix A",
        claims=claims(dsic=False),
        shape=Shape((2, 1), items=2, valuation=UNIT_DEMAND),
    )


APPENDIX_A = _appendix_a("wtp", "appendix-a")
APPENDIX_A_SUM = _appendix_a("sum", "appendix-a-sum")
APPENDIX_A_MAX = _appendix_a("max", "appendix-a-max")

FOOTNOTE_2 = Entry(
    name="footnote-2",
    mechanism=compose("footnote-2", sum_of_bids, pay_your_bid,
                      proportional_split, doc="""\
Exact welfare without incentives: sum, pay-your-bid, pay your own bid.

1. Each group bids the sum of its members' bids.
2. The highest group sum wins the item (ties to the lowest-numbered group)
   and the group is charged its bid.
3. Every member with a positive bid gets the item and pays its own bid
   (the charge split in proportion to bids).

Claims (footnote 2): welfare-optimal under truthful bids; not DSIC.
Source: Section 1, footnote 2."""),
    summary="sum + pay-your-bid + pay own bid: optimal, not truthful",
    source="Bahrani, Garimidi, Roughgarden, footnote 2",
    claims=claims(dsic=False, budget_balance=True,
                  individual_rationality=True, equal_treatment=True),
    shape=Shape((2, 1)),
)

CROWDFUND = Entry(
    name="crowdfund",
    mechanism=compose("crowdfund", sum_of_bids, second_price,
                      proportional_split, doc="""\
A pooled crowdfund bidding in a second-price auction.

1. Each group bids the sum of its members' pledges.
2. The highest sum wins the item and pays the second-highest sum; ties go
   to the lowest-numbered group.
3. In the winning group every member with a positive pledge gets access
   and pays the price times its pledge over the group's total pledge.

Claims: budget balanced, individually rational, equal treatment; its
source makes no claim about DSIC.
Source: common practice of DAOs and crowdfunds pooling pledges."""),
    summary="sum + Vickrey + shares in proportion to pledges",
    source="pooled crowdfunds in practice",
    claims=claims(budget_balance=True, individual_rationality=True,
                  equal_treatment=True),
    shape=Shape((2, 1)),
)
