"""Aggregation rules: a group's member bids for one item -> one group bid.

Each is the identity on a group of one member, as the model requires.
"""

from verifier import ops


def willingness_to_pay(bids):
    """WTP = max_i i * b_i over the bids sorted so that b_1 >= b_2 >= ...

    The most the group can pay if every member it serves pays the same share
    and nobody pays more than it bid (Section 3.1).
    """
    b = ops.sort_desc(bids)
    return ops.maximum(i * b_i for i, b_i in enumerate(b, start=1))


def sum_of_bids(bids):
    """The group bids the total of its members' bids (a pooled fund)."""
    return ops.total(bids)


def highest_bid(bids):
    """The group bids its highest member's bid."""
    return ops.maximum(bids)


AGGREGATIONS = {
    "wtp": willingness_to_pay,
    "sum": sum_of_bids,
    "max": highest_bid,
}
