"""The reports of a verdict, and the exact plot of a deviator's utility."""

import json
import os
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handmade import BOX, appendix_a, refuted, without_witness
from mechanisms import CATALOGUE
from verifier import certificate, plot, report
from verifier.deviation import exact_deviation
from verifier.errors import InvalidArgument
from verifier.verdict import NONE_FOUND, UNKNOWN, VERIFIED


# -------------------------------------------------------------- terminal

def test_terminal_report_starts_with_the_verdict_and_the_deviation():
    text = report.terminal(refuted())

    lines = text.splitlines()
    assert lines[0] == "REFUTED: first-price is not DSIC"
    assert lines[1] == ("member 1 of group 1 gains 1 by bidding 2 instead "
                        "of its value 3")


def test_terminal_report_shows_both_outcomes_side_by_side_in_exact_numbers():
    text = report.terminal(refuted())

    assert "truthful" in text and "with the misreport" in text
    row = next(line for line in text.splitlines() if "deviates" in line)
    assert "pays 3" in row and "pays 2" in row
    assert "its utility" in text
    assert "tie-dependent" in text
    assert "ties go to the lowest-numbered group" in text


def test_terminal_report_ends_with_the_stop_line_and_hides_phases():
    verdict = refuted()

    text = report.terminal(verdict)

    last = text.rstrip().split("\n\n")[-1]
    assert " ".join(last.split()) == verdict.stop_reason
    assert "phases" not in text


def test_verbose_terminal_report_lists_each_phase_with_counts_and_time():
    text = report.terminal(refuted(), verbose=True)

    assert "phases" in text
    row = next(line for line in text.splitlines() if "sampling" in line
               and "misreports" in line)
    assert "0.25 s" in row and "misreports 345" in row


def test_side_results_appear_with_their_status():
    text = report.terminal(refuted())

    assert "verified: DSIC away from ties" in text


@pytest.mark.parametrize("status, words", [
    (VERIFIED, "the solver proved that no member gains"),
    (NONE_FOUND, "sampling only, not a proof: 700 profiles and 65000 "
                 "misreports tried"),
    (UNKNOWN, "the solver gave up"),
])
def test_each_verdict_says_what_it_rests_on(status, words):
    text = report.terminal(without_witness(status))

    assert text.splitlines()[0].startswith(status.upper())
    assert words in text
    if status == UNKNOWN:
        assert "raise --timeout" in " ".join(text.split())


def test_no_counterexample_is_never_called_verified():
    text = report.terminal(without_witness(NONE_FOUND)).lower()

    assert "verified" not in text and "proved" not in text


def test_several_items_show_each_bid_as_a_tuple():
    text = report.terminal(appendix_a())

    assert ("member 2 of group 1 gains 1 by bidding (0, 5) instead of its "
            "value (0, 2)") in text
    assert "gets item 2" in text or "gets items" in text


# ---------------------------------------------------------- markdown, JSON

def test_markdown_holds_the_same_facts_as_the_terminal():
    verdict = refuted()

    text = report.markdown(verdict)

    assert text.startswith("# dsic: first-price is not DSIC")
    for fact in ("REFUTED: first-price is not DSIC", "gains 1 by bidding 2",
                 "| truthful | with the misreport |", "## Why it stopped",
                 "ties go to the lowest-numbered group"):
        assert fact in text


def test_markdown_escapes_table_pipes_in_user_strings():
    verdict = refuted(tie_rule="a | b")

    text = report.markdown(verdict)

    assert "a \\| b" in text


def test_json_keeps_numbers_exact_and_the_exit_code():
    data = report.to_json(appendix_a())

    text = json.dumps(data)
    assert data["verdict"] == "refuted" and data["exit_code"] == 1
    assert data["witness"]["misreport"] == ["0", "5"]
    assert data["witness"]["gain"] == "1"
    assert data["witness"]["group"] == 1 and data["witness"]["member"] == 2
    assert json.loads(text) == data


def test_a_report_from_a_certificate_shows_the_same_witness():
    verdict = refuted()
    cert = certificate.from_verdict(verdict, "first-price")

    again = report.verdict_from_certificate(cert)

    assert report.outcome_rows(again.shape, again.witness) == \
        report.outcome_rows(verdict.shape, verdict.witness)
    assert report.headline(again) == report.headline(verdict)


# ------------------------------------------------------------------ files

def test_report_files_must_be_markdown_or_html():
    with pytest.raises(InvalidArgument, match="report.txt"):
        report.report_suffix("report.txt")


def test_markdown_report_links_its_plot_written_beside_it(tmp_path):
    path = str(tmp_path / "r.md")

    written = report.write_report(path, refuted(),
                                  CATALOGUE["first-price"].mechanism)

    assert written == [path, str(tmp_path / "r.svg")]
    assert "![utility plot](r.svg)" in open(path).read()
    assert open(written[1]).read().startswith("<svg")


def test_a_failed_write_keeps_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "r.html"
    path.write_text("old report")

    def broken(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        report.write_atomic(str(path), "new report")

    assert path.read_text() == "old report"
    assert os.listdir(tmp_path) == ["r.html"]


# ------------------------------------------------------------------- plot

def _first_price_curve(profile=((3,), (1,), (2,)), misreport=2):
    entry = CATALOGUE["first-price"]
    w = exact_deviation(entry.mechanism, entry.shape, profile, 0, 0,
                        misreport)
    return plot.utility_curve(entry.mechanism, entry.shape, w, BOX)


def test_first_price_utility_jumps_exactly_where_bid_meets_the_best_other():
    curve = _first_price_curve()

    inner = [p for p in curve.breakpoints if BOX.low < p.x < BOX.high]
    assert [(p.x, p.value, p.left, p.right) for p in inner] == [
        (2, 1, 0, 1)]
    assert curve.linear == [True, True]


def test_every_evaluated_point_of_the_curve_is_the_exact_utility():
    curve = _first_price_curve()

    for x, u in curve.values.items():
        assert u == (3 - x if x >= 2 else 0)


@settings(max_examples=20)
@given(others=st.lists(st.fractions(0, 10, max_denominator=12),
                       min_size=1, max_size=3),
       value=st.fractions(0, 10, max_denominator=12))
def test_vickrey_breakpoint_is_the_highest_other_bid(others, value):
    entry = CATALOGUE["vickrey"]
    shape = type(entry.shape)((1,) * (len(others) + 1))
    profile = ((value,),) + tuple((b,) for b in others)
    w = exact_deviation(entry.mechanism, shape, profile, 0, 0, value)

    curve = plot.utility_curve(entry.mechanism, shape, w, BOX)

    price = max(others)
    jumps = [p.x for p in curve.jumps()]
    assert jumps == ([price] if value != price and price > 0 else [])
    assert curve.at(value) == w.utility_truthful


def test_several_items_are_plotted_along_the_line_to_the_misreport():
    verdict = appendix_a()
    w = verdict.witness

    curve = plot.utility_curve(CATALOGUE["appendix-a"].mechanism,
                               verdict.shape, w, BOX)

    assert curve.axis == "t" and (curve.low, curve.high) == (0, 1)
    assert curve.at(0) == w.utility_truthful
    assert curve.at(1) == w.utility_deviated


@given(st.fractions(0, 20, max_denominator=50),
       st.fractions(0, 1, max_denominator=50))
def test_simplest_fraction_is_inside_and_has_the_least_denominator(a, d):
    b = a + d

    q = plot.simplest_between(a, b)

    assert a <= q <= b
    for den in range(1, q.denominator):
        low = -(-a * den // 1)      # ceil(a * den)
        assert Fraction(low, den) > b


def test_the_svg_marks_the_true_value_and_the_misreport():
    svg = plot.svg(_first_price_curve(), "utility of <member 1>")

    assert svg.count('class="mark"') == 2
    assert 'class="open"' in svg and 'class="closed"' in svg
    assert "utility of &lt;member 1&gt;" in svg
