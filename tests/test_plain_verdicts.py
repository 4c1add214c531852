"""Every catalogue entry, rewritten as plain Python, gets the verdict of its
branch-free form: the solver reads the plain code by symbolic execution."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import plain_mechanisms
import plain_two_level
from mechanisms import CATALOGUE
from verifier.mechanism import as_outcome, plain
from verifier.model import Shape
from verifier.search import check
from verifier.strategies import profiles

REWRITES = {
    "vickrey": plain_mechanisms.vickrey,
    "first-price": plain_mechanisms.first_price,
    "mechanism-1": plain_mechanisms.mechanism_1,
    "mechanism-2": plain_mechanisms.mechanism_2,
    "appendix-a": plain_two_level.appendix_a,
    "appendix-a-sum": plain_two_level.appendix_a_sum,
    "appendix-a-max": plain_two_level.appendix_a_max,
    "footnote-2": plain_two_level.footnote_2,
    "crowdfund": plain_mechanisms.crowdfund,
}
# mechanism-2 at its default (2, 2) takes the solver half a minute on the
# plain code: (2, 1) and (1, 2) keep the test quick, one verified, one not.
SHAPES = {"mechanism-2": Shape((2, 1), 2, "additive")}
CASES = [(name, SHAPES.get(name, CATALOGUE[name].shape))
         for name in REWRITES] + [
    ("mechanism-1", Shape((2, 1))), ("vickrey", Shape((1, 1))),
    ("mechanism-2", Shape((1, 2), 2, "additive"))]


def test_every_catalogue_entry_has_a_plain_rewrite():
    assert set(REWRITES) == set(CATALOGUE)


@pytest.mark.parametrize("name, shape", CASES,
                         ids=[f"{n}-{s.groups}" for n, s in CASES])
def test_the_plain_rewrite_gets_the_catalogue_verdict(name, shape):
    entry = CATALOGUE[name]
    rewrite = plain(REWRITES[name], valuations=entry.mechanism.valuations)

    expected = check(entry.mechanism, shape, samples=5000, timeout=60)
    solved = check(rewrite, shape, engine="smt", timeout=60)

    assert solved.status == expected.status
    if solved.witness is not None:
        assert solved.witness.gain > 0


@pytest.mark.parametrize("name", ["appendix-a", "appendix-a-sum",
                                  "appendix-a-max", "footnote-2"])
@settings(max_examples=60)
@given(data=st.data())
def test_the_plain_rewrite_gives_the_catalogue_outcome(name, data):
    entry = CATALOGUE[name]
    profile = data.draw(profiles(entry.shape))

    expected = entry.mechanism.outcome(entry.shape, profile)
    got = as_outcome(entry.shape, REWRITES[name](profile))

    assert got.access == expected.access
    assert got.payments == expected.payments
