"""Catalogue mechanisms rewritten as plain Python, and plain mechanisms
with hidden flaws, for the tests of the path-forking solver.

Each takes a profile (a tuple per group of member bids) and returns an
Outcome or a pair (access, payments), the way someone would write it
without verifier.ops: ``if``, ``for``, ``sorted``, ``max``.
"""

import math
from fractions import Fraction

from verifier.model import Outcome


def _first_highest(bids):
    """Index of the highest bid; ties go to the lowest index."""
    winner = 0
    for j in range(1, len(bids)):
        if bids[j] > bids[winner]:
            winner = j
    return winner


def vickrey(profile):
    """Second-price auction: the highest bid wins (ties to the lowest
    index) and pays the highest other bid."""
    bids = [group[0] for group in profile]
    winner = _first_highest(bids)
    price = max(bids[:winner] + bids[winner + 1:], default=0)
    access = [[j == winner] for j in range(len(bids))]
    payments = [[price if j == winner else 0] for j in range(len(bids))]
    return access, payments


def first_price(profile):
    """First-price auction: the highest bid wins (ties to the lowest
    index) and pays its bid. Returns a full Outcome."""
    bids = [group[0] for group in profile]
    winner = _first_highest(bids)
    wins, charges = [], []
    for j, b in enumerate(bids):
        wins.append((j == winner,))
        charges.append(b if j == winner else Fraction(0))
    access = tuple(((w[0],),) for w in wins)
    payments = tuple((c,) for c in charges)
    return Outcome(tuple(wins), tuple(charges), access, payments)


def mechanism_1(profile):
    """Mechanism 1 with loops: WTP, Vickrey over groups (ties to the
    lowest-numbered group), maximum equal split in the winning group."""
    wtps = []
    for group in profile:
        ranked = sorted(group, reverse=True)
        wtps.append(max(i * b for i, b in enumerate(ranked, start=1)))
    winner = _first_highest(wtps)
    p = max(wtps[:winner] + wtps[winner + 1:], default=Fraction(0))

    ranked = sorted(profile[winner], reverse=True)
    t = 0
    for i, b in enumerate(ranked, start=1):
        if i * b >= p:
            t = i
    served = [b >= ranked[t - 1] for b in profile[winner]]
    share = p / sum(1 for s in served if s)

    access, payments = [], []
    for j, group in enumerate(profile):
        mine = served if j == winner else [False] * len(group)
        access.append(mine)
        payments.append([share if s else 0 for s in mine])
    return access, payments


def mechanism_2(profile):
    """Mechanism 2 with loops: plain Mechanism 1 on every item; access is
    a set of item indices and payments add."""
    access = [[set() for _ in group] for group in profile]
    payments = [[Fraction(0)] * len(group) for group in profile]
    for r in range(len(profile[0][0])):
        served, pay = mechanism_1([[bid[r] for bid in g] for g in profile])
        for j, group in enumerate(profile):
            for i in range(len(group)):
                if served[j][i]:
                    access[j][i].add(r)
                payments[j][i] = payments[j][i] + pay[j][i]
    return access, payments


def rebate_at_plus_one(profile):
    """Vickrey, except that a winner bidding exactly the second bid plus 1
    pays nothing: the only profitable misreport is that exact bid."""
    access, payments = vickrey(profile)
    bids = sorted((group[0] for group in profile), reverse=True)
    if bids[0] == bids[1] + 1:
        payments = [[0] for _ in profile]
    return access, payments


def band_discount(profile):
    """Vickrey, except that a winning bid in [5, 5 + 1/100) pays half the
    price: a flaw confined to a band of width 1/100."""
    access, payments = vickrey(profile)
    top = max(group[0] for group in profile)
    if Fraction(5) <= top < Fraction(5) + Fraction(1, 100):
        payments = [[Fraction(1, 2) * p for p in row] for row in payments]
    return access, payments


def floored_vickrey(profile):
    """Vickrey whose price is rounded down to a whole number (exact:
    math.floor stays symbolic)."""
    access, payments = vickrey(profile)
    return access, [[math.floor(p) for p in row] for row in payments]


def float_price(profile):
    """Vickrey whose price goes through float(): not exact."""
    access, payments = vickrey(profile)
    price = max(p for row in payments for p in row)
    if price > 0:
        price = float(price)  # the float() fallback
    return access, payments


def crashing_on_ties(profile):
    """Vickrey that divides by the gap between the two top bids."""
    access, payments = vickrey(profile)
    bids = sorted(group[0] for group in profile)
    scale = 1 / (bids[-1] - bids[-2])  # ZeroDivisionError on a tie
    return access, payments if scale > 0 else payments


def sorted_top_two(profile):
    """A group's two highest bids buy together: the top two members of
    group 1, found by sorting, are served and pay the third-highest bid
    each (0 with fewer than three members)."""
    group = profile[0]
    order = sorted(range(len(group)), key=lambda i: group[i], reverse=True)
    top = set(order[:2])
    price = group[order[2]] if len(group) > 2 else 0
    access = [[i in top for i in range(len(g))] if j == 0 else
              [False] * len(g) for j, g in enumerate(profile)]
    payments = [[price if i in top else 0 for i in range(len(g))]
                if j == 0 else [0] * len(g) for j, g in enumerate(profile)]
    return access, payments


def crowdfund(profile):
    """The catalogue's crowdfund in plain Python: group sums, Vickrey over
    them, shares in proportion to pledges (a division by a bid). Returns
    an Outcome, since the winning group may serve nobody (all pledges 0)."""
    sums = [sum(group) for group in profile]
    winner = _first_highest(sums)
    price = max(sums[:winner] + sums[winner + 1:], default=Fraction(0))
    wins, charges, access, payments = [], [], [], []
    for j, group in enumerate(profile):
        won = j == winner
        wins.append((won,))
        charges.append(price if won else Fraction(0))
        access.append(tuple((won and b > 0,) for b in group))
        payments.append(tuple(price * b / sums[j] if won and b > 0
                              else Fraction(0) for b in group))
    return Outcome(tuple(wins), tuple(charges), tuple(access),
                   tuple(payments))


def counted_price(profile):
    """In a single group, every member bidding above 5 is served and pays
    the number of such members, counted with range() over a symbolic
    count."""
    bids = profile[0]
    above = sum(b > 5 for b in bids)
    price = Fraction(0)
    for _ in range(above):
        price = price + 1
    return [[b > 5 for b in bids]], [[price if b > 5 else 0 for b in bids]]


def arithmetic_tour(profile):
    """One group of five, all served; a and b are the first two bids and
    each member pays one exact operation on them."""
    a, b = profile[0][0], profile[0][1]
    low, high = min(a, b), max(a, b)
    pays = [
        abs(a - b),
        high // 3 + high % 3,
        math.ceil(low / 2) - math.trunc(low / 3),
        -(-low) + low * low / 10,
        Fraction(0) if low in (Fraction(1), Fraction(2)) or a == b
        else high % 3,
    ]
    return [[True] * 5], [pays]
