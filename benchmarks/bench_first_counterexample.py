"""Time and mechanism calls to the first exact counterexample.

For every catalogue entry that dsic refutes, dsic's search (sampling, then
the solver if sampling finds nothing; no shrinking) runs beside a plain
Hypothesis property test of the same mechanism and shape: values and the
misreport drawn with ``st.fractions`` in the same box, one exact evaluation
of the truthful and the deviated profile per example. A call is one profile
evaluated: a batch of N profiles counts N, a symbolic evaluation counts 1.
"""

import time
from dataclasses import replace

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from mechanisms import CATALOGUE
from verifier.deviation import exact_deviation
from verifier.numbers import Batch, Sym
from verifier.search import check
from verifier.verdict import REFUTED, Box

BOX = Box(0, 10)
HYPOTHESIS_BUDGET = 2000


def counting(mechanism):
    """The mechanism with a counter of the profiles it evaluates."""
    calls = [0]

    def rule(profile):
        calls[0] += _profiles_in(profile)
        return mechanism.rule(profile)

    return replace(mechanism, rule=rule), calls


def _profiles_in(profile):
    stack = [profile]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, Batch):
            return len(x.a)
        elif isinstance(x, Sym):
            return 1
    return 1


def dsic_first(entry, seed=0):
    mechanism, calls = counting(entry.mechanism)
    started = time.perf_counter()
    verdict = check(mechanism, entry.shape, BOX, seed=seed, shrink=False)
    seconds = time.perf_counter() - started
    return verdict, seconds, calls[0]


def hypothesis_first(entry, budget=HYPOTHESIS_BUDGET):
    """Calls and seconds until a plain property test first sees a gain,
    or None when it sees none within ``budget`` examples."""
    shape = entry.shape
    mechanism, calls = counting(entry.mechanism)
    value = st.fractions(min_value=BOX.low, max_value=BOX.high)
    bid = (st.tuples(*[value] * shape.items) if shape.multi_item else value)
    case = st.tuples(
        st.tuples(*[st.tuples(*[bid] * size) for size in shape.groups]),
        st.sampled_from(shape.members()), bid)
    first = []
    started = time.perf_counter()

    def profitable(drawn):
        profile, (j, i), misreport = drawn
        gain = exact_deviation(mechanism, shape, profile, j, i,
                               misreport).gain
        if gain > 0 and not first:
            first.append((time.perf_counter() - started, calls[0]))
        return gain > 0

    try:
        find(case, profitable, settings=settings(
            max_examples=budget, database=None, phases=[Phase.generate],
            derandomize=True,
            suppress_health_check=list(HealthCheck), deadline=None))
    except NoSuchExample:
        return None, time.perf_counter() - started, calls[0]
    return first[0] if first else None, None, None


def run():
    rows, missed = [], []
    for name, entry in CATALOGUE.items():
        verdict, seconds, calls = dsic_first(entry)
        if verdict.status != REFUTED:
            continue
        found, spent, tried = hypothesis_first(entry)
        if found is None:
            missed.append(name)
            plain = (f"none in {HYPOTHESIS_BUDGET} examples", f"{spent:.2f}",
                     f"{tried:,}", "-")
        else:
            plain = ("found", f"{found[0]:.2f}", f"{found[1]:,}",
                     f"{found[0] / seconds:.2f}")
        rows.append([name, entry.shape.describe(), f"{seconds:.2f}",
                     f"{calls:,}", *plain])
    table = {
        "title": "Time and mechanism calls to the first exact counterexample",
        "columns": ["entry", "shape", "dsic s", "dsic calls",
                    "plain Hypothesis", "Hypothesis s", "Hypothesis calls",
                    "Hypothesis s / dsic s"],
        "rows": rows,
        "notes": [
            f"value box [{BOX.low}, {BOX.high}]; dsic: seed 0, default "
            f"budgets, no shrinking; plain Hypothesis: st.fractions in the "
            f"box, {HYPOTHESIS_BUDGET} examples, generation phase only, "
            f"derandomized so that a rerun draws the same examples",
            "missed by plain Hypothesis within its budget: "
            + (", ".join(missed) or "none"),
        ],
    }
    return [table]
