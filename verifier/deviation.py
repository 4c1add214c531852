"""One deviation, evaluated exactly.

Member ``i`` of group ``j`` with true value ``v = profile[j][i]`` reports
``b'`` instead. Its gain is its utility at the deviated profile minus its
utility at the truthful one, both measured with the true values. Only this
exact evaluation, on Fractions, decides whether a deviation is profitable.
"""

from fractions import Fraction

from .errors import InvalidArgument
from .mechanism import run_guarded
from .model import _exact_bid, exact_profile, utility
from .verdict import Witness


def exact_deviation(mechanism, shape, profile, j, i, misreport):
    """The :class:`~verifier.verdict.Witness` of member ``i`` of group ``j``
    bidding ``misreport`` at ``profile``, evaluated on Fractions.

    Both outcomes come from the mechanism's exact path and are checked for
    feasibility; the gain may be positive, zero or negative.
    """
    values = exact_profile(shape, profile)
    _check_member(shape, j, i)
    bid = _exact_bid(shape, misreport,
                     f"misreport of member {i + 1} of group {j + 1}")

    truthful = run_guarded(mechanism, shape, values)
    return deviation_from(mechanism, shape, values, truthful, j, i, bid)


def deviation_from(mechanism, shape, values, truthful, j, i, bid):
    """Like :func:`exact_deviation`, reusing ``truthful``, the exact outcome
    of the exact profile ``values``, for many misreports at one profile."""
    deviated = run_guarded(mechanism, shape, deviate(values, j, i, bid))
    return Witness(
        group=j, member=i, profile=values, misreport=bid,
        truthful=truthful, deviated=deviated,
        utility_truthful=Fraction(utility(shape, values, truthful, j, i)),
        utility_deviated=Fraction(utility(shape, values, deviated, j, i)))


def deviate(profile, j, i, bid):
    """``profile`` with member ``i`` of group ``j`` bidding ``bid``."""
    return tuple(group if g != j else group[:i] + (bid,) + group[i + 1:]
                 for g, group in enumerate(map(tuple, profile)))


def _check_member(shape, j, i):
    if not (isinstance(j, int) and 0 <= j < shape.k
            and isinstance(i, int) and 0 <= i < shape.groups[j]):
        raise InvalidArgument(
            f"member (group {j!r}, member {i!r}) is not in a shape with "
            f"groups={shape.groups}: both are counted from 0, the group "
            f"below {shape.k} and the member below that group's size")
