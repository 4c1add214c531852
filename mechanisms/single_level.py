"""Single-level auctions: every group has one member."""

from dataclasses import replace

from verifier.entry import Entry, claims
from verifier.mechanism import compose
from verifier.model import Shape

from .aggregation import highest_bid
from .cost_sharing import even_split
from .upper import pay_your_bid, second_price


def _single_level(name, upper, doc):
    mechanism = compose(name, highest_bid, upper, even_split, doc=doc)
    return replace(mechanism, groups_of_one=True)


VICKREY = Entry(
    name="vickrey",
    mechanism=_single_level("vickrey", second_price, """\
Second-price (Vickrey) auction of one item.

1. The highest bid wins; ties go to the lowest-numbered bidder.
2. The winner pays the highest other bid.

Claims: DSIC and individually rational.
Source: W. Vickrey, Counterspeculation, auctions, and competitive sealed
tenders, Journal of Finance 16 (1961)."""),
    summary="second-price auction of one item",
    source="Vickrey (1961)",
    claims=claims(dsic=True, budget_balance=True, individual_rationality=True,
                  equal_treatment=True),
    shape=Shape((1, 1, 1)),
)

FIRST_PRICE = Entry(
    name="first-price",
    mechanism=_single_level("first-price", pay_your_bid, """\
First-price auction of one item.

1. The highest bid wins; ties go to the lowest-numbered bidder.
2. The winner pays its own bid.

Claims: individually rational; not DSIC (a winner gains by shading its bid).
Source: textbook first-price sealed-bid auction."""),
    summary="first-price auction of one item",
    source="first-price sealed-bid auction",
    claims=claims(dsic=False, budget_balance=True,
                  individual_rationality=True, equal_treatment=True),
    shape=Shape((1, 1, 1)),
)
