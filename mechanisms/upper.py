"""Upper mechanisms: the auctioneer's rules over group bids.

Each takes one bid per group (a number for one item, a tuple per item for
several) and returns ``(wins, charges)``: ``wins[j][r]`` whether group j
gets item r, and ``charges[j]`` what group j pays. The auctioneer knows
nothing of group sizes. Ties are broken by a fixed, named rule.
"""

import itertools
from fractions import Fraction

from verifier import ops

LOWEST_INDEX = "ties go to the lowest-numbered group"


def _first_highest(b):
    """Whether each group has the highest bid, ties to the lowest index."""
    return [ops.all_of([b[j] > b[l] for l in range(j)] +
                       [b[j] >= b[l] for l in range(j + 1, len(b))])
            for j in range(len(b))]


def _highest_other(b, j):
    others = [b[l] for l in range(len(b)) if l != j]
    return ops.maximum(others) if others else Fraction(0)


def second_price(b):
    """Vickrey over group bids, one item.

    1. The highest group bid wins; ties go to the lowest-numbered group.
    2. The winner pays the highest bid among the other groups (0 alone).
    """
    won = _first_highest(b)
    charges = [ops.where(won[j], _highest_other(b, j), 0)
               for j in range(len(b))]
    return [[w] for w in won], charges


second_price.tie_rule = LOWEST_INDEX


def pay_your_bid(b):
    """First price over group bids, one item.

    1. The highest group bid wins; ties go to the lowest-numbered group.
    2. The winner pays its own bid.
    """
    won = _first_highest(b)
    return [[w] for w in won], [ops.where(w, b_j, 0)
                                for w, b_j in zip(won, b)]


pay_your_bid.tie_rule = LOWEST_INDEX


def vcg_unit_demand(b):
    """VCG over group bids read as unit-demand valuations, any items.

    A group's bid for a bundle is its highest bid on an item of the bundle.
    1. Among all ways to give every item to some group, choose one of
       highest bid welfare; ties go to the first in lexicographic order of
       (group of item 1, group of item 2, ...).
    2. Group j pays the best welfare the other groups could have without j
       minus the welfare they get in the chosen allocation.
    With one group it gets everything and pays 0.
    """
    bids = [x if isinstance(x, tuple) else (x,) for x in b]
    k, m = len(bids), len(bids[0])
    allocations = list(itertools.product(range(k), repeat=m))
    values = [[_bundle(bids[j], a, j) for j in range(k)] for a in allocations]
    welfare = [ops.total(v) for v in values]
    chosen = _first_best(welfare)

    wins = [[ops.any_of([c for c, a in zip(chosen, allocations) if a[r] == j])
             for r in range(m)] for j in range(k)]
    charges = []
    for j in range(k):
        without_j = _best_without(bids, j)
        others_now = ops.total(ops.where(c, w - v[j], 0) for c, w, v
                               in zip(chosen, welfare, values))
        charges.append(without_j - others_now)
    return wins, charges


vcg_unit_demand.tie_rule = (
    "welfare ties go to the first allocation in lexicographic order of "
    "(group of item 1, group of item 2, ...)")


def _bundle(bid, allocation, j):
    won = [bid[r] for r, owner in enumerate(allocation) if owner == j]
    return ops.maximum(won) if won else 0


def _first_best(welfare):
    return [ops.all_of([w > welfare[b] for b in range(a)] +
                       [w >= welfare[b] for b in range(a + 1, len(welfare))])
            for a, w in enumerate(welfare)]


def _best_without(bids, j):
    others = [l for l in range(len(bids)) if l != j]
    if not others:
        return 0
    m = len(bids[0])
    return ops.maximum(
        ops.total(_bundle(bids[l], a, l) for l in others)
        for a in itertools.product(others, repeat=m))


UPPERS = {
    "vickrey": second_price,
    "vcg": vcg_unit_demand,
    "pay-your-bid": pay_your_bid,
}
