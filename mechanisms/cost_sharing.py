"""Lower mechanisms: access and cost shares inside a group.

Each takes the group's member bids for what it won, whether it won
anything, and its charge, and returns ``(served, payments)``: whether each
member gets access to everything the group won, and what it pays.
"""

from fractions import Fraction

from verifier import ops


def maximum_equal_split(b, won, p):
    """Serve the largest set S with every member of S bidding >= p / |S|.

    1. Sort the bids so that b_1 >= b_2 >= ...; t = max{i : i * b_i >= p}.
    2. The top t members are served and each pays p / t; the others get
       nothing and pay 0. No tie rule is needed: the member at place t
       never ties with the one at place t + 1.
    Budget balanced whenever p is at most the group's WTP (Section 3.1).
    """
    n = len(b)
    ranked = ops.sort_desc(b)
    fits = [i * b_i >= p for i, b_i in enumerate(ranked, start=1)]
    served = [ops.all_of([won, ops.any_of(
        ops.all_of([fit, b_j >= b_i]) for fit, b_i in zip(fits, ranked))])
        for b_j in b]
    share = ops.split(p, ops.count(served), n)
    return served, [ops.where(s, share, 0) for s in served]


def even_split(b, won, p):
    """Serve every member; each pays p / n."""
    n = len(b)
    return [won] * n, [ops.where(won, p * Fraction(1, n), 0)] * n


def proportional_split(b, won, p):
    """Serve every member with a positive bid; each pays p * b_i / sum b."""
    whole = ops.total(b)
    served = [ops.all_of([won, b_i > 0]) for b_i in b]
    return served, [ops.where(s, ops.ratio(p * b_i, whole), 0)
                    for s, b_i in zip(served, b)]


LOWERS = {
    "maximum-equal-split": maximum_equal_split,
    "even-split": even_split,
    "proportional": proportional_split,
}
