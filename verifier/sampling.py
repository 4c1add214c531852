"""Sampling: look for a profitable misreport among many profiles at once.

Floats only guide the search. Every candidate that looks profitable in
floats is turned into Fractions and re-evaluated by
:func:`verifier.deviation.deviation_from`; only an exact gain above 0
counts. Sampling proves nothing: finding no witness means only that the
profiles and misreports it counts held none.

A round on batch numbers:

1. Draw profiles in the value box, half continuous uniform, half on grids
   where ties and thresholds live: multiples of 1/d of the box width for
   d in GRID_DENOMINATORS, and the integer points.
2. For every member of every group, pick misreports per profile (see
   :mod:`verifier.candidates`): the box ends, its own value a step either
   way, the other members' bids and their neighbours, the truthful
   charges and payments divided by every count up to the largest group,
   and random bids; with several items, one item's bid or the whole
   vector changes.
3. Evaluate every (profile, misreport) pair at once on batch numbers.
4. Re-check exactly the largest positive float gains, and a few pairs
   whose outcome changed for a float gain of about 0 (rounding can hide a
   gain that rests on a tie).
5. If none holds, climb from the most promising pairs: move one number of
   the profile or of the misreport by a step, keep the best move, halve
   the step when none helps; re-check exactly what ends in a gain.

Rounds go on until the budget of misreports is spent or a re-check
confirms a witness: the first confirmed, in order of float gain, is
returned. A plain mechanism runs on exact numbers only: profiles on the
grids and the same kinds of misreports, each evaluated exactly, under a
budget of at most PLAIN_BUDGET misreports.
"""

import time
from dataclasses import dataclass

import numpy as np

from . import candidates
from .candidates import Domain, Pairs
from .deviation import deviation_from
from .errors import InvalidArgument
from .mechanism import batch_profile, run_guarded
from .model import value_of
from .numbers import Batch, BatchBool
from .verdict import Box, Phase, Witness

ROUND = 1 << 16          # misreports a round on batch numbers
CHUNK = 1 << 14          # profiles per call of the mechanism
RECHECKS = 16            # exact re-checks of positive float gains a round
NEAR_ZERO = 4            # exact re-checks of changed outcomes at gain ~0
CLIMBERS = 16            # pairs improved by local moves a round
CLIMB_STEPS = 12         # local moves per climb
PLAIN_BUDGET = 10_000    # misreports for a plain mechanism, at most


@dataclass
class SampleResult:
    """The exact witness sampling found (gain > 0), or None, and the
    phase with its counts: profiles and misreports evaluated, candidates
    re-checked exactly, float gains that looked positive, and for a plain
    mechanism asked for more than PLAIN_BUDGET misreports,
    ``budget_capped_at``."""

    best: Witness
    phase: Phase


def sample(mechanism, shape, box, *, seed, budget, progress=None):
    """Search ``budget`` misreports for a profitable one; reproducible for
    a given ``seed``. ``progress(done, total)`` hears of the misreports
    evaluated so far."""
    mechanism.accepts(shape)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise InvalidArgument(
            f"budget={budget!r}: the sampling budget is a whole number of "
            f"misreports, at least 1")
    if not isinstance(box, Box):
        box = Box(*box)
    search = _Search(mechanism, shape, box, seed, budget, progress)

    started = time.perf_counter()
    best = search.run_plain() if mechanism.plain else search.run_batch()
    phase = Phase("sampling", time.perf_counter() - started, search.counts)
    return SampleResult(best, phase)


class _Search:
    """The state of one sampling run: its draws, counts and budget."""

    def __init__(self, mechanism, shape, box, seed, budget, progress):
        self.mechanism, self.shape = mechanism, shape
        self.domain = Domain(box, shape)
        self.rng = np.random.default_rng(seed)
        self.budget, self.progress = budget, progress
        self.members = shape.members()
        self.counts = {"profiles": 0, "misreports": 0,
                       "candidates_rechecked": 0, "float_positive": 0}

    @property
    def left(self):
        return self.budget - self.counts["misreports"]

    def _spend(self, profiles, misreports):
        self.counts["profiles"] += profiles
        self.counts["misreports"] += misreports
        if self.progress is not None:
            self.progress(self.counts["misreports"], self.budget)

    # ------------------------------------------------------ batch numbers

    def run_batch(self):
        while self.left > 0:
            witness = self._round()
            if witness is not None:
                return witness
        return None

    def _round(self):
        per_profile = len(self.members) * candidates.per_member(self.shape)
        count = max(1, min(ROUND, self.left) // per_profile)
        x, grid = self.domain.draw(self.rng, count)
        truth = _truthful(self.mechanism, self.shape, x)
        self._spend(count, 0)

        pairs = candidates.misreports(self.domain, self.shape, x, truth,
                                      self.rng)
        pairs = pairs[:self.left]
        before = (truth.value[pairs.profile, pairs.member],
                  truth.pay[pairs.profile, pairs.member])
        gain, moved = float_gains(self.mechanism, self.shape, x, pairs,
                                  before)
        self._spend(0, len(pairs))

        found = self._recheck(x, grid, pairs, gain, moved)
        if found is None:
            found = self._climb(x, grid, pairs, gain)
        return found

    def _recheck(self, x, grid, pairs, gain, moved):
        """Exact re-checks of the largest float gains, then of a few
        changed outcomes at gain about 0; the first exact witness."""
        tol = self.domain.tol
        positive = np.flatnonzero(gain > tol)
        self.counts["float_positive"] += len(positive)
        near = np.flatnonzero((np.abs(gain) <= tol) & (moved > tol))
        chosen = [*_top(positive, gain, RECHECKS), *_top(near, gain,
                                                         NEAR_ZERO)]
        return self._first_exact(
            (x[pairs.profile[r]], grid[pairs.profile[r]], pairs.member[r],
             pairs.bid[r]) for r in chosen)

    def _climb(self, x, grid, pairs, gain):
        """Local moves from the most promising pairs, then exact checks."""
        order = np.lexsort((self.rng.random(len(gain)), -gain))[:CLIMBERS]
        at = pairs.profile[order]
        climb = candidates.Climb(self.domain, x[at], pairs.member[order],
                                 pairs.bid[order], gain[order])
        for _ in range(CLIMB_STEPS):
            x_moved, bid_moved, owner = climb.moves()
            if len(owner) > self.left:
                break
            steps = Pairs(np.arange(len(owner)), climb.member[owner],
                          bid_moved)
            moved_gain, _ = float_gains(self.mechanism, self.shape, x_moved,
                                        steps)
            self._spend(len(owner), len(owner))
            climb.keep_best(moved_gain)

        ahead = np.flatnonzero(climb.gain > self.domain.tol)
        self.counts["float_positive"] += len(ahead)
        return self._first_exact(
            (climb.x[r], grid[at[r]], climb.member[r], climb.bid[r])
            for r in _top(ahead, climb.gain, RECHECKS))

    def _first_exact(self, cases):
        """The first of the float ``(profile, grid, member, misreport)``
        cases whose exact gain is positive, or None: numbers made exact,
        the misreport snapped to the tie it was aimed at."""
        for x_row, grid, member, bid in cases:
            self.counts["candidates_rechecked"] += 1
            values = self.domain.exact_profile(self.shape, x_row, grid)
            truthful = run_guarded(self.mechanism, self.shape, values)
            anchors = self.domain.anchors(self.shape, values, truthful)
            found = self._deviation(values, truthful, anchors, member, bid)
            if found.gain > 0:
                return found
        return None

    def _deviation(self, values, truthful, anchors, member, bid):
        exact_bid = self.domain.exact_bid(self.shape, bid, anchors)
        j, i = self.members[member]
        return deviation_from(self.mechanism, self.shape, values, truthful,
                              j, i, exact_bid)

    # ------------------------------------------------------- plain code

    def run_plain(self):
        """Exact profiles on the grids, each misreport evaluated exactly;
        a budget above PLAIN_BUDGET is cut to it, and the counts say so."""
        if self.budget > PLAIN_BUDGET:
            self.budget = self.counts["budget_capped_at"] = PLAIN_BUDGET
        best = None
        while self.left > 0 and best is None:
            best = self._plain_profile()
        return best

    def _plain_profile(self):
        x, grid = self.domain.draw(self.rng, 1, continuous=0.0)
        values = self.domain.exact_profile(self.shape, x[0], grid[0])
        truthful = run_guarded(self.mechanism, self.shape, values)
        self._spend(1, 0)

        truth = _Truth.of_exact(truthful)
        pairs = candidates.misreports(self.domain, self.shape, x, truth,
                                      self.rng, plain=True)
        anchors = self.domain.anchors(self.shape, values, truthful)
        found = []
        for member, bid in zip(pairs.member[:self.left],
                               pairs.bid[:self.left]):
            found.append(self._deviation(values, truthful, anchors, member,
                                         bid))
            self._spend(0, 1)
        return _best(found)


# -------------------------------------------------------- evaluation

def float_gains(mechanism, shape, x, pairs, before=None):
    """Float gain of each pair's member bidding its misreport at profile
    ``x[pair.profile]``, and how far its value or payment moved (the
    larger of the two). ``before``, the members' truthful (value,
    payment), is computed when not given. This is the batch backend's
    inner loop."""
    rows = np.arange(len(pairs))
    columns = np.take(np.ascontiguousarray(np.moveaxis(x, 0, -1)),
                      pairs.profile, axis=-1)
    bids = np.moveaxis(columns, -1, 0)       # a view: profiles fastest
    value = bids[rows, pairs.member]
    if before is None:
        before = _utility(mechanism, shape, bids, pairs.member, value)
    bids[rows, pairs.member] = pairs.bid
    after = _utility(mechanism, shape, bids, pairs.member, value)

    gain = (after[0] - after[1]) - (before[0] - before[1])
    moved = np.maximum(np.abs(after[0] - before[0]),
                       np.abs(after[1] - before[1]))
    return gain, moved


@dataclass
class _Truth:
    """Float arrays of truthful outcomes, one row per profile: each
    member's value for its access and payment, and each group's charge."""

    value: np.ndarray
    pay: np.ndarray
    charges: np.ndarray

    @classmethod
    def of_exact(cls, outcome):
        """Payments and charges of one exact outcome (values unused)."""
        pay = [float(p) for group in outcome.payments for p in group]
        charges = [float(c) for c in outcome.charges]
        return cls(None, np.array([pay]), np.array([charges]))


def _truthful(mechanism, shape, x):
    """The truthful outcomes of the profiles ``x``, as :class:`_Truth`."""
    members = shape.members()
    rows = len(x)
    value, pay = np.empty((rows, shape.n)), np.empty((rows, shape.n))
    charges = np.empty((rows, shape.k))
    for start, out in _outcomes(mechanism, shape, x):
        part = slice(start, start + min(CHUNK, rows - start))
        size = part.stop - part.start
        for a, (j, i) in enumerate(members):
            v = _batch_bid(shape, x[part, a])
            value[part, a] = _column(value_of(shape, v, out.access[j][i]),
                                     size)
            pay[part, a] = _column(out.payments[j][i], size)
        for j in range(shape.k):
            charges[part, j] = _column(out.charges[j], size)
    return _Truth(value, pay, charges)


def _utility(mechanism, shape, bids, member, value):
    """Value and payment of member ``member[r]``, whose true value is
    ``value[r]``, at the profiles ``bids``, one per row."""
    members = shape.members()
    worth, pay = np.empty(len(bids)), np.empty(len(bids))
    for start, out in _outcomes(mechanism, shape, bids):
        stop = min(start + CHUNK, len(bids))
        who = member[start:stop]
        v = _batch_bid(shape, value[start:stop])
        for a in np.unique(who):
            j, i = members[a]
            mine = np.flatnonzero(who == a)
            got = _column(value_of(shape, v, out.access[j][i]), len(who))
            paid = _column(out.payments[j][i], len(who))
            worth[start + mine], pay[start + mine] = got[mine], paid[mine]
    return worth, pay


def _outcomes(mechanism, shape, bids):
    """(first row, batch outcome) for every CHUNK of the profiles."""
    for start in range(0, len(bids), CHUNK):
        profile = batch_profile(shape, bids[start:start + CHUNK])
        yield start, mechanism.outcome(shape, profile)


def _batch_bid(shape, v):
    if not shape.multi_item:
        return Batch(v)
    return tuple(Batch(column) for column in np.ascontiguousarray(v.T))


def _column(x, size):
    """A batch result (or a constant the mechanism returned) as floats."""
    if isinstance(x, (Batch, BatchBool)):
        x = x.a
    return np.broadcast_to(np.asarray(x, dtype=float), (size,))


def _top(rows, gain, most):
    """Up to ``most`` of ``rows``, largest gain first."""
    return rows[np.argsort(-gain[rows], kind="stable")][:most]


def _best(witnesses):
    """The witness with the largest positive gain (the first of equals)."""
    best = None
    for w in witnesses:
        if w.gain > 0 and (best is None or w.gain > best.gain):
            best = w
    return best
