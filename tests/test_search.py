"""One check end to end: verdicts, witnesses, side results, bad arguments."""

from fractions import Fraction

import pytest

from mechanisms import CATALOGUE
from verifier import ties
from verifier.checker import check_certificate
from verifier.errors import InvalidArgument, InvalidShape
from verifier.mechanism import plain
from verifier.model import Shape
from verifier.search import check
from verifier.verdict import NONE_FOUND, REFUTED, VERIFIED, Box

SMALL = dict(samples=5_000, timeout=20)


def test_vickrey_is_verified_by_the_solver_for_every_bidder():
    entry = CATALOGUE["vickrey"]

    verdict = check(entry.mechanism, entry.shape, **SMALL)

    assert verdict.status == VERIFIED
    assert len(verdict.proof) == entry.shape.n
    assert all(answer.status == "unsat" for answer in verdict.proof)
    assert "proved" in verdict.stop_reason


def test_sampling_alone_never_says_verified():
    entry = CATALOGUE["vickrey"]

    verdict = check(entry.mechanism, entry.shape, engine="sample", **SMALL)

    assert verdict.status == NONE_FOUND
    assert "--engine sample" in verdict.stop_reason
    assert verdict.phases[0].counts["misreports"] > 0


@pytest.mark.parametrize("name", ["first-price", "appendix-a", "crowdfund",
                                  "footnote-2"])
def test_entries_claimed_or_found_untruthful_get_a_robust_witness(name):
    entry = CATALOGUE[name]

    verdict = check(entry.mechanism, entry.shape, **SMALL)

    w = verdict.witness
    assert verdict.status == REFUTED
    assert w.gain > 0 and w.robust
    assert ties.robust(entry.mechanism, entry.shape, w, w.margin)
    assert check_certificate(verdict.certificate).ok


def test_mechanism_1_fails_only_at_a_tie_of_group_bids():
    entry = CATALOGUE["mechanism-1"]

    verdict = check(entry.mechanism, Shape((2, 2)), **SMALL)

    assert verdict.status == REFUTED
    assert verdict.witness.robust is False
    [away] = verdict.results
    assert away.statement.startswith("DSIC away from ties")
    assert away.status == VERIFIED


def test_a_group_of_one_losing_a_tie_cannot_gain_in_mechanism_1():
    entry = CATALOGUE["mechanism-1"]

    verdict = check(entry.mechanism, Shape((2, 1)), **SMALL)

    assert verdict.status == VERIFIED


def test_the_witness_is_shrunk_to_small_integers():
    entry = CATALOGUE["first-price"]

    verdict = check(entry.mechanism, Shape((1, 1)), **SMALL)

    w = verdict.witness
    numbers = [b for group in w.profile for b in group] + [w.misreport]
    assert all(q.denominator == 1 and q <= 3 for q in numbers)


def second_price(profile):
    bids = [group[0] for group in profile]
    top = bids.index(max(bids))
    price = max(b for j, b in enumerate(bids) if j != top)
    return ([[j == top] for j in range(len(bids))],
            [[price if j == top else 0] for j in range(len(bids))])


def second_price_logged(profile):
    access, payments = second_price(profile)
    second_price_logged.last = f"price {float(max(map(max, payments))):.2f}"
    return access, payments


def test_a_plain_mechanism_is_proved_by_reading_its_code():
    verdict = check(plain(second_price), Shape((1, 1)), **SMALL)

    assert verdict.status == VERIFIED
    assert "symbolic execution" in verdict.stop_reason
    [explored] = [p for p in verdict.phases
                  if p.name == "symbolic execution"]
    assert explored.counts["paths_explored"] >= 2


def test_a_plain_mechanism_that_leaves_exact_numbers_says_where():
    verdict = check(plain(second_price_logged), Shape((1, 1)), **SMALL)

    assert verdict.status == NONE_FOUND
    assert "rests on sampling" in verdict.stop_reason
    assert any("float() at test_search.py:" in note
               for note in verdict.notes)


def test_sampling_alone_on_a_plain_mechanism_is_never_verified():
    verdict = check(plain(second_price), Shape((1, 1)), engine="sample",
                    **SMALL)

    assert verdict.status == NONE_FOUND


@pytest.mark.parametrize("box, words", [
    (Box(Fraction(3), Fraction(3)), "empty or inverted"),
    (Box(Fraction(5), Fraction(1)), "empty or inverted"),
    (Box(Fraction(-1), Fraction(1)), "at least 0"),
])
def test_an_empty_inverted_or_negative_box_is_refused(box, words):
    entry = CATALOGUE["vickrey"]

    with pytest.raises(InvalidArgument, match=words):
        check(entry.mechanism, entry.shape, box)


@pytest.mark.parametrize("argument, words", [
    (dict(samples=0), "samples=0"),
    (dict(timeout=0), "timeout=0"),
    (dict(engine="guess"), "engine='guess'"),
    (dict(margin=0), "margin=0"),
])
def test_a_zero_budget_or_unknown_engine_is_refused(argument, words):
    entry = CATALOGUE["vickrey"]

    with pytest.raises(InvalidArgument, match=words):
        check(entry.mechanism, entry.shape, **argument)


def test_zero_members_are_refused_by_the_shape():
    with pytest.raises(InvalidShape, match="group size 0"):
        Shape((2, 0))


def test_a_single_level_auction_refuses_groups_of_two():
    entry = CATALOGUE["vickrey"]

    with pytest.raises(InvalidShape, match="groups of one member"):
        check(entry.mechanism, Shape((2, 1)), **SMALL)


def test_maximum_regret_of_first_price_is_the_whole_box_and_attained():
    entry = CATALOGUE["first-price"]

    verdict = check(entry.mechanism, Shape((1, 1)), regret=True, **SMALL)

    [regret] = [r for r in verdict.results if r.statement == "maximum regret"]
    assert regret.status == VERIFIED
    assert regret.detail.startswith("10, attained")


def test_maximum_regret_of_vickrey_is_zero():
    entry = CATALOGUE["vickrey"]

    verdict = check(entry.mechanism, Shape((1, 1)), regret=True, **SMALL)

    [regret] = [r for r in verdict.results if r.statement == "maximum regret"]
    assert regret.detail == "no member gains anything by misreporting"


def test_a_plain_mechanism_failing_only_at_ties_is_proved_dsic_away_from_them():
    import plain_mechanisms

    verdict = check(plain(plain_mechanisms.mechanism_1), Shape((2, 2)),
                    **SMALL)

    assert verdict.status == REFUTED
    assert verdict.witness.robust is False
    [away] = [r for r in verdict.results
              if r.statement.startswith("DSIC away from ties")]
    assert away.status == VERIFIED
