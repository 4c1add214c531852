"""The catalogue's two-level entries written as plain Python, with ``if``,
``for``, ``sorted`` and ``max`` over numbers, as their users would."""

import itertools
from fractions import Fraction


def wtp(bids):
    ranked = sorted(bids, reverse=True)
    return max(i * b for i, b in enumerate(ranked, start=1))


AGGREGATE = {"wtp": wtp, "sum": sum, "max": max}


def vcg_unit_demand(group_bids):
    """Welfare-maximizing allocation of every item (ties to the first in
    lexicographic order of owners) and VCG charges."""
    k, m = len(group_bids), len(group_bids[0])

    def value(j, allocation):
        won = [group_bids[j][r] for r in range(m) if allocation[r] == j]
        return max(won) if won else 0

    best, chosen = None, None
    for allocation in itertools.product(range(k), repeat=m):
        welfare = sum(value(j, allocation) for j in range(k))
        if best is None or welfare > best:
            best, chosen = welfare, allocation
    charges = []
    for j in range(k):
        others = [l for l in range(k) if l != j]
        without = max((sum(value(l, a) for l in others)
                       for a in itertools.product(others, repeat=m)),
                      default=0)
        charges.append(without - (best - value(j, chosen)))
    return chosen, charges


def maximum_equal_split(bids, p):
    """Who is served and the share: the largest t with t * b_t >= p."""
    ranked = sorted(bids, reverse=True)
    t = 0
    for i, b in enumerate(ranked, start=1):
        if i * b >= p:
            t = i
    if t == 0:
        return [False] * len(bids), 0
    return [b >= ranked[t - 1] for b in bids], p / t


def appendix_a(profile, aggregate=wtp):
    m = len(profile[0][0])
    group_bids = [tuple(aggregate([b[r] for b in group]) for r in range(m))
                  for group in profile]
    chosen, charges = vcg_unit_demand(group_bids)
    access, payments = [], []
    for j, group in enumerate(profile):
        items = {r for r in range(m) if chosen[r] == j}
        if not items:
            access.append([set() for _ in group])
            payments.append([0 for _ in group])
            continue
        bundle = [max(b[r] for r in items) for b in group]
        served, share = maximum_equal_split(bundle, charges[j])
        access.append([set(items) if s else set() for s in served])
        payments.append([share if s else 0 for s in served])
    return access, payments


def appendix_a_sum(profile):
    return appendix_a(profile, sum)


def appendix_a_max(profile):
    return appendix_a(profile, max)


def footnote_2(profile):
    """Sum of bids; highest sum wins (ties to the lowest index), every
    member with a positive bid gets the item and pays its bid."""
    sums = [sum(group) for group in profile]
    top = 0
    for j, total in enumerate(sums):
        if total > sums[top]:
            top = j
    access = [[j == top and b > 0 for b in group]
              for j, group in enumerate(profile)]
    payments = [[b if j == top and b > 0 else 0 for b in group]
                for j, group in enumerate(profile)]
    return access, payments
