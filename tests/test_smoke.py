from fractions import Fraction

from mechanisms import CATALOGUE


def test_mechanism_1_serves_the_top_members_at_an_equal_share():
    entry = CATALOGUE["mechanism-1"]

    out = entry.mechanism.outcome(entry.shape, [[3, 2], [4, 0]])

    assert out.wins == ((True,), (False,))
    assert out.payments == ((Fraction(2), Fraction(2)), (0, 0))
