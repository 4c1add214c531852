"""One check of a property besides DSIC: sampling, then the solver.

    mechanism + shape + box + property
      -> sampling      profiles in the box, with ties and zeros; a profile
                       where the property looks broken is re-evaluated on
                       Fractions, and only an exact failure counts
      -> SMT           exists a profile in the box where it fails? (z3)
      -> verdict       refuted | verified | no counterexample found | unknown

The properties are those of :mod:`verifier.properties`:
individual_rationality, budget_balance, no_positive_transfers,
feasibility and equal_treatment. A refutation is a
:class:`~verifier.properties.Violation`: the profile, its exact outcome and
the failing fact. A plain mechanism is sampled on exact profiles only and
read by symbolic execution for the solver, as in :mod:`verifier.search`.
"""

import time
from fractions import Fraction

import numpy as np

from . import properties
from .candidates import Domain
from .entry import PROPERTY_NAMES
from .errors import DsicError, InvalidArgument, InvalidOutcome
from .mechanism import as_outcome, batch_profile, format_profile, run_guarded
from .model import flatten, unflatten
from .search import (
    DEFAULT_MARGIN, DEFAULT_PATHS, DEFAULT_SAMPLES, DEFAULT_TIMEOUT,
    PROPERTIES, _Run, _smt_phase, validate,
)
from .shrink import candidates, simplicity, size
from .smt import SolverDisagreement, SmtAnswer
from .verdict import NONE_FOUND, REFUTED, UNKNOWN, VERIFIED, Phase

# Properties whose failure the exact outcome check itself refuses (an
# infeasible outcome, a negative payment): their outcomes are read unchecked.
UNCHECKED = ("feasibility", "no_positive_transfers")

ROUND = 1 << 14          # profiles a round on batch numbers
RECHECKS = 16            # exact re-checks of suspect profiles a round
SPOT_CHECKS = 4          # exact re-checks of other grid profiles a round
PLAIN_ROUND = 256        # profiles drawn at once for a plain mechanism
PLAIN_BUDGET = 10_000    # profiles for a plain mechanism, at most
SHRINK_BUDGET = 2000     # exact evaluations spent simplifying a violation
TIES = 1 / 3             # share of profiles where two members bid the same
ZEROS = 1 / 4            # share of profiles with one number at the box's low


def check_property(mechanism, shape, box, prop, *, seed=0, engine="both",
                   samples=DEFAULT_SAMPLES, timeout=DEFAULT_TIMEOUT,
                   paths=DEFAULT_PATHS, target=None, progress=None):
    """Decide whether ``mechanism`` has ``prop`` on ``shape`` with values
    in ``box``, and return a :class:`~verifier.verdict.Verdict`.

    ``engine`` picks sampling, the solver or both; ``samples`` bounds the
    profiles sampled (at most PLAIN_BUDGET for a plain mechanism),
    ``timeout`` the solver query in seconds, ``paths`` the paths symbolic
    execution explores in a plain mechanism. ``target`` is how the
    certificate names the mechanism for reloading. A refuted verdict
    holds its :class:`~verifier.properties.Violation` as ``witness``.
    """
    if prop not in PROPERTIES:
        raise InvalidArgument(
            f"property {prop!r}: check_property decides one of "
            f"{', '.join(PROPERTIES)}; use verifier.search.check for dsic")
    box = validate(mechanism, shape, box, engine, samples, timeout,
                   DEFAULT_MARGIN)
    if not isinstance(paths, int) or paths < 1:
        raise InvalidArgument(
            f"paths={paths!r}: symbolic execution needs a whole number of "
            f"paths, at least 1")
    run = _PropertyRun(mechanism, shape, box, prop, timeout, paths)
    if prop == "equal_treatment" and shape.ell == 1:
        run.notes.append(
            "every group has one member, so equal treatment compares no "
            "two members and holds trivially on this shape")
    if prop == "budget_balance" and mechanism.plain:
        run.notes.append(
            "a plain mechanism returning (access, payments) has each group "
            "charged the sum of its members' payments, so budget balance "
            "holds by construction; return an Outcome to state the "
            "charges")

    if engine in ("sample", "both"):
        run.sample(seed, samples, progress)
    if run.witness is None and engine in ("smt", "both"):
        run.solve()
    if run.witness is not None:
        run.simplify()
    return run.verdict(engine, samples, target)


class _PropertyRun(_Run):
    """The state of one property check; reads a plain mechanism for the
    solver the way a DSIC check does."""

    def __init__(self, mechanism, shape, box, prop, timeout, paths):
        super().__init__(mechanism, shape, box, DEFAULT_MARGIN, timeout,
                         paths)
        self.prop, self.budget = prop, 0

    # ------------------------------------------------------------ phases

    def sample(self, seed, samples, progress):
        search = _Sampler(self.mechanism, self.shape, self.box, self.prop,
                          seed, progress)
        started = time.perf_counter()
        if self.mechanism.plain:
            self.budget = min(samples, PLAIN_BUDGET)
            found = search.run_exact(self.budget)
        else:
            self.budget = samples
            found = search.run_batch(samples)
        self.phases.append(Phase("sampling", time.perf_counter() - started,
                                 search.counts))
        if found is not None:
            self.witness, self.found_by = found, "sampling"

    def solve(self):
        mechanism = self.mechanism
        if mechanism.plain:
            mechanism = self.read_plain()
        started = time.perf_counter()
        answer = self.ask(mechanism)
        self.phases.append(_smt_phase("smt", [answer], started))
        if answer.status == "sat":
            self.witness, self.found_by = answer.violation, "the solver"
        elif answer.status == "unsat":
            self.proof = [answer]
        else:
            self.unknown = answer

    def ask(self, mechanism):
        """The solver's answer; on a plain mechanism, a model that does not
        re-check exactly lies where symbolic execution did not reach, and
        is reported as unknown."""
        try:
            return properties.check(mechanism, self.shape, self.box,
                                    self.prop, timeout=self.timeout)
        except SolverDisagreement:
            if self.symbolic is None:
                raise
            return SmtAnswer(
                "unknown", reason="the solver's model lies where symbolic "
                                  "execution did not reach")

    def simplify(self):
        """Move the violation to the simplest numbers that still show a
        failure of the property."""
        started = time.perf_counter()
        simplest = _Simplify(self)
        simplest.until_stable()
        self.witness = simplest.violation
        self.phases.append(Phase("shrink", time.perf_counter() - started, {
            "evaluations": simplest.evaluations, "moves": simplest.moves,
            "size_before": simplest.size_before,
            "size_after": size(simplest.numbers)}))

    # ----------------------------------------------------------- verdict

    def _conclude(self, engine, samples):
        words = PROPERTY_NAMES[self.prop]
        if self.witness is not None:
            return REFUTED, (
                f"stopped: {self.found_by} found a profile where {words} "
                f"fails ({describe(self.witness)}), re-checked exactly")
        if self.proof is not None:
            how = "" if self.symbolic is None else (
                f" on the plain code read by symbolic execution "
                f"({self.symbolic.stats.explored} paths)")
            return VERIFIED, (
                f"stopped: the solver proved {words} at every profile in "
                f"the box (query unsat){how} within --timeout "
                f"{self.timeout:g} s")
        if self.unknown is not None and self.symbolic is not None:
            return self._conclude_plain(engine)
        if self.unknown is not None:
            return UNKNOWN, (
                f"stopped: the solver answered unknown for {words} "
                f"({self.unknown.reason}); raise --timeout (now "
                f"{self.timeout:g} s)")
        cap = "" if self.budget == samples else (
            f", at most {PLAIN_BUDGET} for plain Python")
        return NONE_FOUND, (
            f"stopped: sampling used its budget of {self.budget} profiles "
            f"(--samples{cap}) without a violation, and the solver was not "
            f"run (--engine sample)")


def describe(violation):
    """Whom a violation concerns, in words: "member 1 of group 2",
    "group 1", "item 1"."""
    fact = violation.fact
    if "member" in fact:
        return f"member {fact['member']} of group {fact['group']}"
    if "members" in fact:
        first, second = fact["members"]
        return f"members {first} and {second} of group {fact['group']}"
    if "group" in fact:
        return f"group {fact['group']}"
    return f"item {fact['item']}"


# ------------------------------------------------------------ sampling

class _Sampler:
    """Profiles drawn in the box, looked at for a failure of ``prop``."""

    def __init__(self, mechanism, shape, box, prop, seed, progress):
        self.mechanism, self.shape, self.prop = mechanism, shape, prop
        self.domain = Domain(box, shape)
        self.rng = np.random.default_rng(seed)
        self.progress = progress
        self.counts = {"profiles": 0, "rechecked_exactly": 0}

    def _spend(self, profiles, budget):
        self.counts["profiles"] += profiles
        if self.progress is not None:
            self.progress(self.counts["profiles"], budget)

    def draw(self, count, continuous):
        """``count`` profiles and their grids; in some two members of a
        group bid the same, in some one number sits at the box's low."""
        x, grid = self.domain.draw(self.rng, count, continuous)
        at = 0
        for members in self.shape.groups:
            rows = np.flatnonzero(self.rng.random(count) < TIES)
            if members > 1 and len(rows):
                a, b = at + self.rng.integers(0, members, (2, len(rows)))
                x[rows, b] = x[rows, a]
            at += members
        flat = x.reshape(count, -1)
        rows = np.flatnonzero(self.rng.random(count) < ZEROS)
        flat[rows, self.rng.integers(0, flat.shape[1], len(rows))] = \
            self.domain.lo
        return x, grid

    # -------------------------------------------------------- exact only

    def run_exact(self, budget):
        """Grid profiles, each evaluated on Fractions."""
        while self.counts["profiles"] < budget:
            count = min(PLAIN_ROUND, budget - self.counts["profiles"])
            x, grid = self.draw(count, continuous=0.0)
            for row in range(count):
                found = self.recheck(x[row], grid[row])
                self._spend(1, budget)
                if found is not None:
                    return found
        return None

    def recheck(self, x_row, grid):
        """The violation at the exact profile a float row stands for."""
        self.counts["rechecked_exactly"] += 1
        values = self.domain.exact_profile(self.shape, x_row, grid)
        return violation_at(self.mechanism, self.shape, values, self.prop)

    # ----------------------------------------------------- batch numbers

    def run_batch(self, budget):
        """Rounds of profiles on batch numbers; the most suspect ones, and
        a few others on grids, re-checked exactly."""
        self.counts["float_suspects"] = 0
        while self.counts["profiles"] < budget:
            count = min(ROUND, budget - self.counts["profiles"])
            x, grid = self.draw(count, continuous=0.5)
            found = self._round(x, grid)
            self._spend(count, budget)
            if found is not None:
                return found
        return None

    def _round(self, x, grid):
        out = self.mechanism.outcome(self.shape,
                                     batch_profile(self.shape, x))
        bad = SCREENS[self.prop](self.shape, x, out, len(x))
        suspects = np.flatnonzero(bad > self.domain.tol)
        self.counts["float_suspects"] += len(suspects)
        order = suspects[np.argsort(-bad[suspects], kind="stable")]
        on_grid = np.flatnonzero(grid >= 0)
        spots = self.rng.choice(on_grid, min(SPOT_CHECKS, len(on_grid)),
                                replace=False)
        for row in [*order[:RECHECKS], *spots]:
            found = self.recheck(x[row], grid[row])
            if found is not None:
                return found
        return None


def violation_at(mechanism, shape, values, prop):
    """The first failure of ``prop`` at the exact profile ``values``, as a
    :class:`~verifier.properties.Violation`, or None."""
    outcome = exact_outcome(mechanism, shape, values, prop)
    facts = list(properties.FACTS[prop](shape, values, outcome))
    if not facts:
        return None
    fact = min(facts, key=lambda f: "member" not in f)  # who, if anyone
    return properties.Violation(
        prop, values, outcome, fact,
        fact["group"] - 1 if "group" in fact else None,
        fact["member"] - 1 if "member" in fact else None)


def exact_outcome(mechanism, shape, values, prop):
    """The exact outcome at ``values``. Where the outcome check refuses
    exactly the failure ``prop`` is about (an item won twice, a negative
    payment), the unchecked outcome is returned when it shows that
    failure."""
    try:
        return run_guarded(mechanism, shape, values)
    except InvalidOutcome as refused:
        if prop not in UNCHECKED:
            raise
        outcome = as_outcome(shape, mechanism.rule(values), mechanism.name)
        try:
            failing = list(properties.FACTS[prop](shape, values, outcome))
        except (IndexError, TypeError):
            failing = []
        if not failing:
            raise InvalidOutcome(
                f"{refused} (at profile {format_profile(values)})") from None
        return outcome


# ----------------------------------------------------------- shrinking

class _Simplify:
    """A violation's profile as a flat list of numbers, moved one number
    (or every copy of one number) at a time to a simpler one while the
    property still fails there, within SHRINK_BUDGET exact evaluations."""

    def __init__(self, run):
        self.mechanism, self.shape, self.prop = (run.mechanism, run.shape,
                                                 run.prop)
        self.low, self.high = run.box.low, run.box.high
        self.violation = run.witness
        self.numbers = flatten(self.shape, self.violation.profile)
        self.size_before = size(self.numbers)
        self.evaluations = self.moves = 0

    def until_stable(self):
        changed = True
        while changed and self.evaluations < SHRINK_BUDGET:
            changed = False
            for q in sorted(set(self.numbers), key=simplicity, reverse=True):
                if self.numbers.count(q) > 1:
                    changed |= self._first([
                        [t if x == q else x for x in self.numbers]
                        for t in candidates(q, self.low, self.high)])
            for at in range(len(self.numbers)):
                changed |= self._first([
                    self.numbers[:at] + [t] + self.numbers[at + 1:]
                    for t in candidates(self.numbers[at], self.low,
                                        self.high)])

    def _first(self, options):
        """Keep the first option where the property still fails."""
        for numbers in options:
            if self.evaluations >= SHRINK_BUDGET:
                return False
            self.evaluations += 1
            values = unflatten(self.shape, numbers)
            try:
                found = violation_at(self.mechanism, self.shape, values,
                                     self.prop)
            except DsicError:     # an outcome refused for another reason
                found = None
            if found is not None:
                self.numbers, self.violation = numbers, found
                self.moves += 1
                return True
        return False


# ------------------------------------------- float screens, per property

def _floats(x, n):
    """A batch result, or a constant the mechanism returned, as floats."""
    x = getattr(x, "a", x)
    return np.broadcast_to(np.asarray(x, dtype=float), (n,))


def _bids(shape, x, a):
    """Member ``a``'s float bids, shape (N, items)."""
    return x[:, a].reshape(len(x), shape.items)


def _worth(shape, bids, access_row, n):
    got = np.stack([_floats(acc, n) for acc in access_row], axis=1)
    parts = got * bids
    return parts.max(axis=1) if shape.valuation == "unit-demand" else (
        parts.sum(axis=1))


def _ir_screen(shape, x, out, n):
    """How far below 0 the lowest truthful utility is."""
    worst = np.zeros(n)
    for a, (j, i) in enumerate(shape.members()):
        u = (_worth(shape, _bids(shape, x, a), out.access[j][i], n)
             - _floats(out.payments[j][i], n))
        worst = np.maximum(worst, -u)
    return worst


def _bb_screen(shape, x, out, n):
    """The largest gap between a group's charge and its payments."""
    worst = np.zeros(n)
    for j in range(shape.k):
        paid = sum(_floats(p, n) for p in out.payments[j])
        worst = np.maximum(worst, np.abs(paid - _floats(out.charges[j],
                                                        n)))
    return worst


def _transfer_screen(shape, x, out, n):
    """How far below 0 the lowest charge or payment is."""
    worst = np.zeros(n)
    for j in range(shape.k):
        for t in (out.charges[j], *out.payments[j]):
            worst = np.maximum(worst, -_floats(t, n))
    return worst


def _feasibility_screen(shape, x, out, n):
    """Items won twice, and items used but not won, counted."""
    count = np.zeros(n)
    for r in range(shape.items):
        won = [_floats(out.wins[j][r], n) for j in range(shape.k)]
        count += np.maximum(sum(won) - 1, 0)
        for j, i in shape.members():
            count += _floats(out.access[j][i][r], n) * (1 - won[j])
    return count


def _equal_treatment_screen(shape, x, out, n):
    """How differently two members of a group with equal bids fare."""
    worst, at = np.zeros(n), 0
    for j, members in enumerate(shape.groups):
        for i in range(members):
            for h in range(i + 1, members):
                same = np.all(_bids(shape, x, at + i)
                              == _bids(shape, x, at + h), axis=1)
                apart = np.abs(_floats(out.payments[j][i], n)
                               - _floats(out.payments[j][h], n))
                for a, b in zip(out.access[j][i], out.access[j][h]):
                    apart += np.abs(_floats(a, n) - _floats(b, n))
                worst = np.maximum(worst, np.where(same, apart, 0))
        at += members
    return worst


SCREENS = {
    "individual_rationality": _ir_screen,
    "budget_balance": _bb_screen,
    "no_positive_transfers": _transfer_screen,
    "feasibility": _feasibility_screen,
    "equal_treatment": _equal_treatment_screen,
}
