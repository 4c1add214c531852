"""Verdicts built by hand for the report tests: each witness is computed
with the mechanism's exact outcome and the model's utility, not by a
search, so the reports can be tested on their own."""

from dataclasses import replace
from fractions import Fraction

from mechanisms import CATALOGUE
from verifier.deviation import exact_deviation
from verifier.verdict import (
    NONE_FOUND, REFUTED, UNKNOWN, VERIFIED, Box, Phase, Result, Verdict,
)

BOX = Box(Fraction(0), Fraction(10))


def refuted(name="first-price", profile=((3,), (1,), (2,)), j=0, i=0,
            misreport=2, robust=False, **changes):
    """A refuted verdict whose witness is member ``i`` of group ``j``
    bidding ``misreport`` at ``profile``, evaluated exactly."""
    entry = CATALOGUE[name]
    witness = exact_deviation(entry.mechanism, entry.shape, profile, j, i,
                              misreport)
    witness.robust, witness.margin = robust, Fraction(1, 100)
    verdict = Verdict(
        status=REFUTED, mechanism=name, shape=entry.shape, box=BOX,
        tie_rule=entry.mechanism.tie_rule, witness=witness,
        phases=[Phase("sampling", 0.25, {"profiles": 12,
                                         "misreports": 345})],
        results=[Result("DSIC away from ties (margin 1/100)", VERIFIED,
                        "every query unsat")],
        stop_reason="stopped: sampling found a profitable misreport for "
                    "member 1 of group 1, re-checked exactly (gain 1)")
    return replace(verdict, **changes)


def appendix_a():
    """The Appendix A mechanism: member 2 of group 1 gains 1 by raising
    its bid for item 2 from 2 to 5."""
    return refuted("appendix-a", (((0, 1), (0, 2)), ((1, 3),)), 0, 1,
                   (0, 5), robust=None)


def without_witness(status, name="vickrey", **changes):
    entry = CATALOGUE[name]
    phases = [Phase("sampling", 1.5, {"profiles": 700,
                                      "misreports": 65000})]
    if status != NONE_FOUND:
        phases.append(Phase("smt", 2.0, {"queries": 3, status: 3}))
    stop = {
        VERIFIED: "stopped: the solver proved all 3 members' queries unsat",
        NONE_FOUND: "stopped: sampling used its budget of 65000 misreports "
                    "(--samples) without a profitable one",
        UNKNOWN: "stopped: the solver answered unknown for member 1 of "
                 "group 1 (timeout); raise --timeout (now 30 s)",
    }[status]
    verdict = Verdict(status=status, mechanism=name, shape=entry.shape,
                      box=BOX, tie_rule=entry.mechanism.tie_rule,
                      phases=phases, stop_reason=stop)
    return replace(verdict, **changes)
