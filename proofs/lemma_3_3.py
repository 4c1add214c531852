"""Lemma 3.3: WTP >= W / H_n for a group of n members.

W is the group's total value and WTP the catalogue's
:func:`~mechanisms.aggregation.willingness_to_pay`, run on z3 terms. The
query asks for bids b_1, ..., b_n >= 0 with WTP * H_n < W; unsat proves
the lemma for that n.

The catalogue's WTP sorts the bids with a sorting network, whose case
splits grow fast with n; for n up to ``MAX_N`` the query therefore also
states b_1 >= b_2 >= ... >= b_n, the paper's own "without loss of
generality" (WTP sorts its input first and W is a sum, so both are the
same for every order of the same bids). For n up to ``MAX_UNSORTED`` the
query is also asked with the bids in any order, without that step.

Tightness: at b_i = 1/i, WTP = 1 and W = H_n exactly (exact facts).
"""

from fractions import Fraction

import z3

from mechanisms.aggregation import willingness_to_pay
from verifier.model import harmonic

from . import common, facts, solving

CLAIM = {
    "id": "lemma-3.3",
    "reference": "Lemma 3.3",
    "paper": "WTP^j >= W^j / H_{n_j}, where W^j is the sum of the group's "
             "values and H_n the n-th harmonic number.",
    "checked": "WTP * H_n >= W for the catalogue's WTP, by z3, and its "
               "tightness at b_i = 1/i, exactly",
}
MAX_N = 10
MAX_UNSORTED = 6
TIMEOUT = 120.0


def build(record, max_n=MAX_N, max_unsorted=MAX_UNSORTED, timeout=TIMEOUT):
    record.part("aggregation", "wtp")
    record.domain = {"bids": "every bid >= 0"}
    record.bounds = (f"n = 1..{max_n} with bids sorted (the paper's "
                     f"WLOG); n = 1..{max_unsorted} in any order")
    for n in range(1, max_n + 1):
        for ordered in (True, False):
            if ordered or n <= max_unsorted:
                _query(record, n, ordered, timeout)
        _tight(record, n)


def _query(record, n, ordered, timeout):
    b = [solving.sym(z3.Real(f"b_{i}")) for i in range(1, n + 1)]
    wtp = solving.term(willingness_to_pay(b))
    total = z3.Sum([x.t for x in b])
    order = [b[i].t >= b[i + 1].t for i in range(n - 1)] if ordered else []
    answer = solving.solve(
        solving.within(b, 0) + order
        + [wtp * solving.real(harmonic(n)) < total], timeout)
    words = "sorted decreasingly" if ordered else "in any order"
    record.solver(f"{n} bids >= 0, {words}, with WTP * H_{n} < W", answer,
                  "unsat", part="sorted" if ordered else "unsorted", n=n)


def _tight(record, n):
    values = [facts.q(Fraction(1, i)) for i in range(1, n + 1)]
    h = facts.q(harmonic(n))
    record.fact("aggregate", {"aggregation": "wtp", "bids": values},
                f"WTP of bids 1/i, i = 1..{n}, is 1 while W = H_{n} = {h}",
                require=[("bid", "==", "1")], part="tight", n=n)


def conclude(steps):
    sorted_ = common.part(steps, "sorted")
    unsorted = common.part(steps, "unsorted")
    tight = common.part(steps, "tight")
    statuses = {common.status_of(p) for p in (sorted_, unsorted, tight)}
    result = ("holds" if statuses == {common.HOLDS} else
              "unknown" if common.UNKNOWN in statuses else "fails")
    top = max(s["n"] for s in sorted_)
    top_any = max(s["n"] for s in unsorted)
    return {
        "result": result,
        "summary": (
            f"WTP * H_n >= W for every group of n = 1..{top} members with "
            f"bids >= 0 ({common.status_of(sorted_)}, bids sorted as in "
            f"the paper; {common.status_of(unsorted)} for n <= {top_any} "
            f"in any order); equality at b_i = 1/i "
            f"({common.status_of(tight)}), so 1/H_n is the best constant."),
        "conditions": [],
    }
