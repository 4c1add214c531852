"""What dsic established about each catalogue entry is stored beside its
claims, and every stored certificate still re-checks."""

import pytest

from mechanisms import CATALOGUE
from mechanisms.establish import CERTIFICATES, HERE, established, summary
from verifier.certificate import load
from verifier.checker import check_certificate


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_entry_has_a_record_whose_certificate_re_checks(name):
    record = established(name)

    cert = load(HERE / record["certificate"])
    report = check_certificate(cert)

    assert report.ok, report.problems
    assert cert["verdict"] == record["verdict"]
    assert cert["shape"] == CATALOGUE[name].shape.to_json()
    assert cert["mechanism"]["target"] == name


def test_no_certificate_is_kept_for_an_entry_that_is_gone():
    kept = {path.stem for path in CERTIFICATES.glob("*.json")}

    assert kept <= set(CATALOGUE)


def test_a_refutation_at_a_tie_says_what_holds_away_from_ties():
    record = {"verdict": "refuted", "robust": False, "results": [
        {"statement": "DSIC away from ties (margin 1/100)",
         "status": "verified"}]}

    words = summary(record)

    assert words == ("DSIC refuted at a tie; away from ties "
                     "(margin 1/100): verified")


def test_an_entry_never_checked_says_so():
    assert summary(None) == "not yet checked"
