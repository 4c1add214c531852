"""Shrinking: the simplest numbers that still show a profitable misreport.

Every number of a witness (each value of the profile and each component
of the misreport) is moved, one at a time and over and over, to the
simplest number that keeps the exact gain above 0 inside the value box.
Simpler means a smaller ``|numerator| + denominator``, then an integer
before a fraction, then a smaller magnitude; so a move never makes the
witness more complex, and shrinking ends. The candidates for a number q
are the smallest integers of the box, the integers next to q, and the
fractions of smallest denominator (found by descending the Stern-Brocot
tree) in ever narrower intervals around and just below q.

Two more moves keep ties, which many witnesses rest on: every copy of one
number moves together, and the whole witness is rescaled (to coprime
integers, or by a factor of SCALINGS) when that makes it smaller. The
deviator never changes.
"""

import math
import time
from fractions import Fraction

from .deviation import deviation_from, exact_deviation
from .errors import InvalidArgument
from .mechanism import run_guarded
from .model import flatten, unflatten
from .verdict import Phase

NARROWINGS = 64   # intervals around a number, each half the one before
SMALL_INTEGERS = 3  # the integers tried from the bottom of the box
SCALINGS = (Fraction(1, 2), Fraction(2, 3), Fraction(3, 4))


def shrink(mechanism, shape, box, witness, *, budget, keep=None):
    """The simplest witness reachable from ``witness`` with at most
    ``budget`` exact evaluations, re-checked exactly, and the phase's
    counts: evaluations, moves kept, passes, and the total size of the
    witness's numbers before and after.

    ``keep(witness) -> bool``, if given, is a further condition that
    every witness kept along the way meets, such as being robust at a
    margin; ``witness`` itself must meet it."""
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise InvalidArgument(
            f"budget={budget!r}: shrinking needs a whole number of exact "
            f"evaluations, at least 1")
    started = time.perf_counter()
    run = _Shrink(mechanism, shape, box, witness, budget, keep)
    run.until_stable()
    final = run.recheck()
    phase = Phase("shrink", time.perf_counter() - started, {
        "evaluations": run.evaluations, "moves": run.moves,
        "passes": run.passes, "size_before": size(_numbers(shape, witness)),
        "size_after": size(_numbers(shape, final))})
    return final, phase


def size(numbers):
    """Total ``|numerator| + denominator`` of exact numbers."""
    return sum(abs(q.numerator) + q.denominator for q in numbers)


def simplicity(q):
    """The order of simplicity: size, then integers first, then smaller
    magnitude."""
    return abs(q.numerator) + q.denominator, q.denominator, abs(q)


def simplest_between(a, b):
    """The simplest fraction in [a, b] (0 <= a <= b): the smallest integer
    there if any, else the one of smallest denominator, found by descending
    the Stern-Brocot tree through continued fractions."""
    a, b = Fraction(a), Fraction(b)
    whole = math.ceil(a)
    if whole <= b:
        return Fraction(whole)
    n = math.floor(a)
    return n + 1 / simplest_between(1 / (b - n), 1 / (a - n))


def candidates(q, low, high):
    """Numbers simpler than ``q`` in [low, high] to try in its place,
    simplest first."""
    first = math.ceil(low)
    tries = {low, high, Fraction(math.floor(q)), Fraction(math.ceil(q))}
    tries.update(Fraction(first + k) for k in range(SMALL_INTEGERS))
    width = high - low
    for k in range(1, NARROWINGS + 1):
        delta = width / 2 ** k
        tries.add(simplest_between(max(low, q - delta), min(high, q + delta)))
        tries.add(simplest_between(max(low, q - delta), q))
        if delta < Fraction(1, 4 * q.denominator ** 2):
            break
    key = simplicity(q)
    return sorted((t for t in tries
                   if low <= t <= high and simplicity(t) < key),
                  key=simplicity)


class _Shrink:
    """The witness being shrunk, as a flat list of numbers, and the
    evaluations spent so far."""

    def __init__(self, mechanism, shape, box, witness, budget, keep):
        self.mechanism, self.shape, self.budget = mechanism, shape, budget
        self.keep = keep or (lambda w: True)
        self.low, self.high = Fraction(box.low), Fraction(box.high)
        self.j, self.i = witness.group, witness.member
        self.numbers = _numbers(shape, witness)
        self.evaluations = self.moves = self.passes = 0
        self._truthful = None
        _refuse_unshrinkable(witness, self.numbers, self.low, self.high,
                             keep)

    def until_stable(self):
        changed = True
        while changed and self.evaluations < self.budget:
            self.passes += 1
            changed = self._pass()

    def _pass(self):
        changed = self._try_moves(self._scaled(), strict=True)
        for q in sorted(set(self.numbers), key=simplicity, reverse=True):
            if q in self.numbers:
                changed |= self._try_moves(self._together(q))
        for at in range(len(self.numbers)):
            changed |= self._try_moves(self._alone(at))
        return changed

    def _together(self, q):
        """Every copy of q replaced by one simpler number."""
        if self.numbers.count(q) < 2:
            return []
        return [[t if x == q else x for x in self.numbers]
                for t in candidates(q, self.low, self.high)]

    def _alone(self, at):
        """The number at position ``at`` replaced by a simpler one."""
        return [self.numbers[:at] + [t] + self.numbers[at + 1:]
                for t in candidates(self.numbers[at], self.low, self.high)]

    def _scaled(self):
        """All numbers times one factor: the one making them coprime
        integers, then a few below 1."""
        denominators = math.lcm(*(q.denominator for q in self.numbers))
        common = math.gcd(*(q.numerator for q in self.numbers))
        factors = [Fraction(denominators, common)] if common else []
        factors += SCALINGS
        return [[q * f for q in self.numbers] for f in factors]

    def _try_moves(self, options, strict=False):
        """Keep the first option that is in the box, no larger (smaller if
        ``strict``), and still shows a gain; whether one was kept."""
        for numbers in options:
            if self.evaluations >= self.budget:
                return False
            growth = size(numbers) - size(self.numbers)
            if (numbers == self.numbers or growth > 0
                    or (strict and growth == 0)
                    or not all(self.low <= q <= self.high for q in numbers)):
                continue
            if self._holds(numbers):
                self.numbers = numbers
                self.moves += 1
                return True
        return False

    def _holds(self, numbers):
        """Whether ``numbers`` still show a gain (and meet ``keep``)."""
        self.evaluations += 1
        profile, bid = _rebuild(self.shape, numbers)
        if self._truthful is None or self._truthful[0] != profile:
            self._truthful = profile, run_guarded(self.mechanism,
                                                  self.shape, profile)
        found = deviation_from(self.mechanism, self.shape, profile,
                               self._truthful[1], self.j, self.i, bid)
        return found.gain > 0 and self.keep(found)

    def recheck(self):
        profile, bid = _rebuild(self.shape, self.numbers)
        final = exact_deviation(self.mechanism, self.shape, profile,
                                self.j, self.i, bid)
        assert final.gain > 0 and self.keep(final), "kept moves hold"
        return final


def _refuse_unshrinkable(witness, numbers, low, high, keep):
    if witness.gain <= 0:
        raise InvalidArgument(
            f"the witness's gain is {witness.gain}: only a profitable "
            f"misreport (gain > 0) can be shrunk")
    outside = [q for q in numbers if not low <= q <= high]
    if outside:
        raise InvalidArgument(
            f"the witness holds {outside[0]}, outside the value box "
            f"[{low}, {high}]: shrink in a box that holds every number of "
            f"the witness")
    if keep is not None and not keep(witness):
        raise InvalidArgument(
            "the witness does not meet the condition `keep` asks shrinking "
            "to preserve: pass a witness that meets it")


def _numbers(shape, witness):
    """The witness's numbers: the profile's, then the misreport's."""
    misreport = witness.misreport
    return flatten(shape, witness.profile) + [
        Fraction(q) for q in (misreport if shape.multi_item
                              else (misreport,))]


def _rebuild(shape, numbers):
    """(profile, misreport) from the flat numbers of :func:`_numbers`."""
    m = shape.items if shape.multi_item else 1
    misreport = tuple(numbers[-m:]) if shape.multi_item else numbers[-1]
    return unflatten(shape, numbers[:-m]), misreport
