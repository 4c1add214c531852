"""Properties besides DSIC, decided through the same engines: sampling,
the solver, certificates the checker re-checks, and `dsic check
--property` as a user runs it."""

import copy
import json
import textwrap
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from command import finish, start
from mechanisms import CATALOGUE
from mechanisms.upper import second_price
from verifier import ops, report
from verifier.checker import check_certificate
from verifier.errors import InvalidArgument
from verifier.loading import load_target
from verifier.mechanism import compose
from verifier.model import Shape
from verifier.search import PROPERTIES, check, check_property
from verifier.verdict import NONE_FOUND, REFUTED, UNKNOWN, VERIFIED, Box

BOX = Box(Fraction(0), Fraction(10))

RULES = textwrap.dedent('''
    """Plain mechanisms with a flaw in their payments or allocation."""
    from fractions import Fraction


    def rebate(profile):
        """The highest bid wins and pays it (ties to the first); every
        loser is paid 1/2 when the winning bid is above 4."""
        bids = [group[0] for group in profile]
        w = 0
        for j, b in enumerate(bids):
            if b > bids[w]:
                w = j
        rebate = Fraction(-1, 2) if bids[w] > 4 else 0
        return ([[j == w] for j in range(len(bids))],
                [[bids[j] if j == w else rebate] for j in range(len(bids))])


    def everyone_wins(profile):
        """Every group gets the one item, for free."""
        return [[True] for group in profile], [[0] for group in profile]


    def exact_only(profile):
        """A fee of 1/3 from every member; refuses anything inexact."""
        for group in profile:
            for b in group:
                if type(b) is not Fraction:
                    raise TypeError(f"inexact bid {b!r}")
        return ([[False for _ in group] for group in profile],
                [[Fraction(1, 3) for _ in group] for group in profile])
''')


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    path = tmp_path_factory.mktemp("properties") / "rules.py"
    path.write_text(RULES)
    return path


def entry(name):
    found = CATALOGUE[name]
    return found.mechanism, found.shape


def first_pays(b, won, p):
    """Serve every member; the first pays the whole charge."""
    return [won] * len(b), [ops.where(won, p, 0)] + [0] * (len(b) - 1)


FIRST_PAYS = compose("first-pays", ops.total, second_price, first_pays)


# ------------------------------------------------------------ refuted

def test_appendix_a_sum_charges_a_group_more_than_its_members_pay():
    mechanism, shape = entry("appendix-a-sum")

    verdict = check_property(mechanism, shape, BOX, "budget_balance",
                             target="appendix-a-sum")
    v = verdict.witness
    again = mechanism.outcome(shape, v.profile)

    assert verdict.status == REFUTED and verdict.prop == "budget_balance"
    assert sum(again.payments[v.group]) != again.charges[v.group]
    assert v.fact == {"group": v.group + 1,
                      "charge": str(again.charges[v.group]),
                      "payments_sum": str(sum(again.payments[v.group]))}


@pytest.mark.parametrize("engine", ["sample", "smt"])
def test_a_budget_balance_certificate_passes_the_checker(engine):
    mechanism, shape = entry("appendix-a-sum")

    verdict = check_property(mechanism, shape, BOX, "budget_balance",
                             engine=engine, target="appendix-a-sum")
    cert = verdict.certificate
    checked = check_certificate(cert)

    assert checked.ok, checked.problems
    assert cert["evidence"]["kind"] == "violation"
    assert cert["claim"]["property"] == "budget_balance"
    assert cert["evidence"]["fact"] == verdict.witness.fact


@pytest.mark.parametrize("field, edit, named", [
    ("fact", lambda e: e["fact"].update(charge="99"), "evidence.fact"),
    ("outcome", lambda e: e["outcome"]["payments"][0].__setitem__(0, "7"),
     "evidence.outcome.payments"),
    ("profile", lambda e: e["profile"][0].__setitem__(0, ["11", "0"]),
     "evidence.profile[0][0]"),
])
def test_an_edited_budget_balance_certificate_is_rejected_naming_the_field(
        field, edit, named):
    mechanism, shape = entry("appendix-a-sum")
    cert = copy.deepcopy(check_property(
        mechanism, shape, BOX, "budget_balance",
        target="appendix-a-sum").certificate)

    edit(cert["evidence"])
    checked = check_certificate(cert)

    assert not checked.ok
    assert checked.problems[0].startswith(named), checked.problems


def test_the_violation_is_moved_to_simple_numbers():
    mechanism, shape = entry("appendix-a-sum")

    verdict = check_property(mechanism, shape, BOX, "budget_balance",
                             engine="sample")
    shrink = verdict.phases[-1]
    numbers = [x for group in verdict.witness.profile for bid in group
               for x in bid]

    assert shrink.name == "shrink"
    assert shrink.counts["size_after"] <= shrink.counts["size_before"]
    assert all(x.denominator == 1 for x in numbers)


@pytest.mark.parametrize("engine", ["sample", "smt"])
def test_a_plain_negative_payment_breaks_no_positive_transfers(rules,
                                                               engine):
    target = f"{rules}:rebate"
    mechanism, _ = load_target(target)

    verdict = check_property(mechanism, Shape((1, 1)), BOX,
                             "no_positive_transfers", engine=engine,
                             target=target)
    v = verdict.witness

    assert verdict.status == REFUTED
    assert v.fact == {"group": v.group + 1, "member": 1, "payment": "-1/2"}
    assert max(b for group in v.profile for b in group) > 4
    assert check_certificate(verdict.certificate).ok


def test_sampling_finds_unequal_shares_at_tied_bids():
    verdict = check_property(FIRST_PAYS, Shape((2, 1)), BOX,
                             "equal_treatment", engine="sample")
    v = verdict.witness

    assert verdict.status == REFUTED
    assert v.profile[0][0] == v.profile[0][1]
    assert v.fact["members"] == [1, 2]
    assert v.outcome.payments[0][0] != v.outcome.payments[0][1]


def test_an_item_given_twice_is_an_exact_feasibility_violation(rules):
    target = f"{rules}:everyone_wins"
    mechanism, _ = load_target(target)

    verdict = check_property(mechanism, Shape((1, 1)), BOX, "feasibility",
                             target=target)

    assert verdict.status == REFUTED
    assert verdict.witness.fact == {"item": 1, "groups": [1, 2]}
    assert check_certificate(verdict.certificate).ok


def test_a_plain_mechanism_is_sampled_on_exact_numbers_only(rules):
    mechanism, _ = load_target(f"{rules}:exact_only")

    verdict = check_property(mechanism, Shape((2, 1)), BOX,
                             "individual_rationality", engine="sample",
                             samples=300)

    assert verdict.status == REFUTED
    assert verdict.witness.fact["utility"] == "-1/3"


@settings(max_examples=8)
@given(seed=st.integers(0, 2**32 - 1))
def test_every_sampled_violation_fails_again_on_exact_numbers(seed):
    mechanism, shape = entry("appendix-a-sum")

    verdict = check_property(mechanism, shape, BOX, "budget_balance",
                             engine="sample", seed=seed, samples=50_000)
    v = verdict.witness
    again = mechanism.outcome(shape, v.profile)

    assert sum(again.payments[v.group]) != again.charges[v.group]


# ----------------------------------------------------------- verified

@pytest.mark.parametrize("prop", ["individual_rationality",
                                  "budget_balance"])
def test_mechanism_1_is_proved_individually_rational_and_balanced(prop):
    mechanism, _ = entry("mechanism-1")

    verdict = check_property(mechanism, Shape((2, 2)), BOX, prop,
                             target="mechanism-1")
    cert = verdict.certificate

    assert verdict.status == VERIFIED
    assert [a.status for a in verdict.proof] == ["unsat"]
    assert cert["evidence"]["kind"] == "smt"
    assert check_certificate(cert).ok


@pytest.mark.parametrize("prop", ["equal_treatment", "feasibility"])
def test_vickrey_is_proved_feasible_and_equal_treating(prop):
    mechanism, shape = entry("vickrey")

    verdict = check_property(mechanism, shape, BOX, prop, target="vickrey")

    assert verdict.status == VERIFIED
    assert check_certificate(verdict.certificate).ok


def test_equal_treatment_among_groups_of_one_says_it_is_trivial():
    mechanism, shape = entry("vickrey")

    verdict = check_property(mechanism, shape, BOX, "equal_treatment",
                             engine="smt")

    assert any("holds trivially" in note for note in verdict.notes)


def test_sampling_alone_never_says_verified():
    mechanism, _ = entry("mechanism-1")

    verdict = check_property(mechanism, Shape((2, 2)), BOX,
                             "budget_balance", engine="sample",
                             samples=20_000)

    assert verdict.status == NONE_FOUND
    assert verdict.certificate["evidence"]["kind"] == "sampling"
    assert "profiles tried" in report.terminal(verdict)
    assert "--engine sample" in verdict.stop_reason


def test_a_solver_that_gives_up_is_unknown_and_names_the_timeout():
    mechanism, _ = entry("mechanism-1")

    verdict = check_property(mechanism, Shape((6, 6)), BOX,
                             "budget_balance", engine="smt", timeout=0.001)

    assert verdict.status == UNKNOWN
    assert "raise --timeout" in verdict.stop_reason
    assert verdict.certificate["evidence"]["setting"] == "timeout"


# ----------------------------------------------------------- arguments

def test_an_unknown_property_is_refused_naming_the_valid_ones():
    mechanism, shape = entry("vickrey")

    with pytest.raises(InvalidArgument) as refused:
        check_property(mechanism, shape, BOX, "fairness")

    assert "'fairness'" in str(refused.value)
    assert all(prop in str(refused.value) for prop in PROPERTIES)


def test_a_dsic_check_is_still_about_dsic():
    mechanism, shape = entry("first-price")

    verdict = check(mechanism, shape, BOX, samples=5000)

    assert verdict.prop == "dsic"
    assert verdict.certificate["evidence"]["kind"] == "witness"


# ------------------------------------------------------------ reports

def test_reports_state_the_failing_fact_in_exact_numbers():
    verdict = check_property(*entry("appendix-a-sum"), BOX,
                             "budget_balance", engine="smt",
                             target="appendix-a-sum")
    v = verdict.witness
    fact = (f"group {v.group + 1} is charged {v.fact['charge']}, its "
            f"members pay {v.fact['payments_sum']} in all")

    text = report.terminal(verdict)
    markdown = report.markdown(verdict)
    page = report.html(verdict)
    data = report.to_json(verdict)

    assert text.startswith("REFUTED: appendix-a-sum violates budget "
                           "balance\n" + fact + ", at profile ")
    assert fact in markdown and fact in page
    assert data["violation"]["in_words"] == fact
    assert data["violation"]["fact"] == v.fact
    assert data["witness"] is None


def test_a_report_from_a_violation_certificate_shows_the_violation():
    verdict = check_property(*entry("appendix-a-sum"), BOX,
                             "budget_balance", engine="smt",
                             target="appendix-a-sum")

    again = report.verdict_from_certificate(verdict.certificate)

    assert report.headline(again) == report.headline(verdict)
    assert _violation_section(again) == _violation_section(verdict)
    assert again.witness.outcome == verdict.witness.outcome


def _violation_section(verdict):
    text = report.terminal(verdict)
    return text[text.index("violation (exact"):text.index("domain and")]


# ---------------------------------------------------- the command line

@pytest.fixture(scope="module")
def runs(rules, tmp_path_factory):
    """Every command line at once, each in its own process."""
    folder = tmp_path_factory.mktemp("cli")
    cert = str(folder / "bb.json")
    started = {
        "budget": start("check", "appendix-a-sum", "--property",
                        "budget-balance", "--certificate", cert),
        "json": start("check", "appendix-a-sum", "--property",
                      "budget_balance", "--json"),
        "proof": start("check", "mechanism-1", "--property",
                       "individual-rationality", "--groups", "2,2"),
        "plain": start("check", f"{rules}:everyone_wins", "--property",
                       "feasibility"),
        "bad": start("check", "vickrey", "--property", "fairness"),
        "help": start("check", "--help"),
    }
    done = {name: finish(process) for name, process in started.items()}
    done["verify"] = finish(start("verify-cert", cert))
    return done


def test_a_refuted_property_exits_1_with_the_failing_fact(runs):
    code, out, err = runs["budget"]

    assert code == 1, err
    lines = out.splitlines()
    assert lines[0] == "REFUTED: appendix-a-sum violates budget balance"
    assert "its members pay 0 in all, at profile [" in lines[1]
    assert "violation (exact numbers)" in out
    assert "stopped: sampling found a profile where budget balance" in out


def test_the_written_violation_certificate_passes_verify_cert(runs):
    code, out, err = runs["verify"]

    assert code == 0, (out, err)
    assert out.startswith("violation of budget_balance re-checked exactly")


def test_json_output_holds_the_violation_in_exact_numbers(runs):
    code, out, _ = runs["json"]

    data = json.loads(out)
    assert code == 1 and data["exit_code"] == 1
    assert data["property"] == "budget_balance"
    assert data["violation"]["fact"]["payments_sum"] == "0"
    assert data["certificate"]["evidence"]["kind"] == "violation"


def test_a_proved_property_exits_0(runs):
    code, out, err = runs["proof"]

    assert code == 0, err
    assert out.startswith("VERIFIED: mechanism-1 satisfies individual "
                          "rationality on this domain")


def test_an_infeasible_plain_mechanism_is_refuted_not_refused(runs):
    code, out, err = runs["plain"]

    assert code == 1, err
    assert "item 1 goes to groups 1 and 2" in out


def test_a_bad_property_name_is_one_line_naming_the_valid_ones(runs):
    code, out, err = runs["bad"]

    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("dsic: error: --property 'fairness'")
    for name in ("dsic", "individual-rationality", "budget-balance",
                 "no-positive-transfers", "feasibility", "equal-treatment"):
        assert name in err


def test_help_lists_the_properties(runs):
    code, out, _ = runs["help"]

    flat = " ".join(out.split()).replace("- ", "-")
    assert code == 0
    assert "--property NAME" in out
    assert "individual-rationality, budget-balance, no-positive-transfers, " \
           "feasibility, equal-treatment" in flat
