"""What the sampler tries: profiles, misreports, local moves, and the exact
numbers the floats stand for.

Profiles are drawn half continuous uniform in the value box and half on
grids of small denominators, where ties and thresholds live. Misreports
aim at the places a deviation pays: the box ends, the member's own value
a step either way, the other members' bids and their neighbours, the
truthful charges and payments divided by every count up to the largest
group, and random bids. A float is made exact by the grid it was drawn
on, or by snapping to one of those exact targets (a tie the float was
aimed at), or else by ``Fraction.limit_denominator``.
"""

import math
from bisect import bisect_left
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

GRID_DENOMINATORS = (1, 2, 3, 4, 6, 8, 12)   # grids of width / d
MOST_INTEGER_POINTS = 1000   # the integer points are a grid up to this many
STEP_DIVISOR = 1024          # a neighbour is width / 1024 away
DENOMINATOR_LIMIT = 10**6    # in box widths, for floats off every grid
RANDOM_BIDS = 4              # uniform and grid misreports per member
PER_MEMBER = 24              # misreports per member and profile, one item
PER_MEMBER_ITEMS = 32        # the same with several items
PLAIN_PER_MEMBER = 8         # the same for plain mechanisms
FIRST_CLIMB_STEP = 16        # a climb starts moving by width / 16


class Domain:
    """The value box as the sampler sees it: its grids, a small step, the
    float tolerance, and the exact number a float stands for."""

    def __init__(self, box, shape):
        self.low, self.high = Fraction(box.low), Fraction(box.high)
        self.width = self.high - self.low
        self.step = self.width / STEP_DIVISOR
        self.lo, self.hi, self.st = map(float, (self.low, self.high,
                                                self.step))
        self.tol = 1e-9 * self.hi
        self.grids = [(self.low, self.width / d) for d in GRID_DENOMINATORS]
        first, last = math.ceil(self.low), math.floor(self.high)
        if 2 <= last - first + 1 <= MOST_INTEGER_POINTS:
            self.grids.append((Fraction(first), Fraction(1)))
        self._origin = np.array([float(o) for o, _ in self.grids])
        self._spacing = np.array([float(s) for _, s in self.grids])
        self._points = np.array([math.floor((self.high - o) / s) + 1
                                 for o, s in self.grids])
        self.per_row = ((shape.n, shape.items) if shape.multi_item
                        else (shape.n,))
        self.ell = shape.ell

    # ------------------------------------------------------------ draws

    def draw(self, rng, count, continuous=0.5):
        """``count`` profiles and the grid of each (-1: continuous)."""
        size = (count,) + self.per_row
        x = rng.uniform(self.lo, self.hi, size)
        grid = np.where(rng.random(count) < continuous, -1,
                        rng.integers(0, len(self.grids), count))
        on = grid >= 0
        x[on] = self._grid_points(rng, size, grid)[on]
        return x, grid

    def grid_bids(self, rng, size):
        """Random points, each of a random grid."""
        return self._grid_points(rng, size, rng.integers(
            0, len(self.grids), size))

    def _grid_points(self, rng, size, grid):
        grid = np.broadcast_to(np.reshape(
            grid, np.shape(grid) + (1,) * (len(size) - np.ndim(grid))), size)
        k = np.floor(rng.random(size) * self._points[grid])
        return self._origin[grid] + self._spacing[grid] * k

    def clip(self, x):
        return np.clip(x, self.lo, self.hi)

    def full(self, size, x):
        return np.full(size, x, dtype=float)

    # ------------------------------------------------------ exact numbers

    def exact_profile(self, shape, x_row, grid):
        """The exact profile a float row drawn on ``grid`` stands for."""
        flat = [self.exact(v, grid) for v in np.ravel(x_row)]
        if shape.multi_item:
            m = shape.items
            flat = [tuple(flat[a * m:(a + 1) * m]) for a in range(shape.n)]
        out, at = [], 0
        for size in shape.groups:
            out.append(tuple(flat[at:at + size]))
            at += size
        return tuple(out)

    def exact(self, v, grid=-1):
        """The grid point ``v`` is on, else low + width * f for the
        fraction f nearest (v - low) / width with a denominator up to
        DENOMINATOR_LIMIT; inside the box either way."""
        v = float(v)
        if grid >= 0:
            origin, spacing = self.grids[grid]
            q = origin + spacing * round((v - float(origin)) / float(spacing))
            if abs(float(q) - v) <= self.tol:
                return self._clamp(q)
        f = Fraction((v - self.lo) / float(self.width))
        return self._clamp(self.low + self.width
                           * f.limit_denominator(DENOMINATOR_LIMIT))

    def anchors(self, shape, values, truthful):
        """The exact targets misreports aim at, sorted, with their floats:
        box ends, every bid, charges and payments over 1..ell, each also a
        step either way."""
        targets = [self.low, self.high]
        for group in values:
            for bid in group:
                targets.extend(bid if shape.multi_item else (bid,))
        for total in (*truthful.charges,
                      *(p for group in truthful.payments for p in group)):
            targets.extend(Fraction(total) / t
                           for t in range(1, self.ell + 1))
        near = sorted({q + d for q in targets
                       for d in (0, -self.step, self.step)})
        return [float(q) for q in near], near

    def exact_bid(self, shape, bid, anchors):
        """The exact misreport for a float one: each number snapped to a
        target within the tolerance, else made exact by :meth:`exact`."""
        if shape.multi_item:
            return tuple(self._snap(y, anchors) for y in np.ravel(bid))
        return self._snap(float(np.ravel(bid)[0]), anchors)

    def _snap(self, y, anchors):
        floats, exact = anchors
        at = bisect_left(floats, y)
        near = [k for k in (at - 1, at) if 0 <= k < len(floats)
                and abs(floats[k] - y) <= self.tol]
        if near:
            best = min(near, key=lambda k: abs(floats[k] - y))
            return self._clamp(exact[best])
        return self.exact(y)

    def _clamp(self, q):
        return min(max(q, self.low), self.high)


# ------------------------------------------------------------ misreports

@dataclass
class Pairs:
    """(profile, member, misreport) triples as arrays: ``profile`` indexes
    the drawn profiles, ``member`` counts members group after group."""

    profile: np.ndarray
    member: np.ndarray
    bid: np.ndarray

    def __len__(self):
        return len(self.member)

    def __getitem__(self, part):
        return Pairs(self.profile[part], self.member[part], self.bid[part])


def per_member(shape):
    """At most how many misreports each member tries at each profile."""
    return PER_MEMBER_ITEMS if shape.multi_item else PER_MEMBER


def misreports(domain, shape, x, truth, rng, plain=False):
    """Misreports for every member at every profile of ``x``, member after
    member; ``truth`` holds the truthful charges and payments."""
    most = PLAIN_PER_MEMBER if plain else per_member(shape)
    pool = _vector_pool if shape.multi_item else _scalar_pool
    blocks = [_choose(*pool(domain, x, truth, a, rng), most, rng)
              for a in range(shape.n)]
    profiles, each = blocks[0].shape[:2]
    bid = np.stack(blocks).reshape((-1,) + blocks[0].shape[2:])
    member = np.repeat(np.arange(shape.n), profiles * each)
    profile = np.tile(np.repeat(np.arange(profiles), each), shape.n)
    return Pairs(profile, member, bid)


def _scalar_pool(d, x, truth, a, rng):
    """(always tried, tried at random) bids of member ``a`` for one item;
    ``x`` holds every member's bid for it, one row per profile."""
    rows = len(x)
    own = x[:, a:a + 1]
    others = np.delete(x, a, axis=1)
    counts = np.arange(1, d.ell + 1)
    core = [d.full((rows, 1), d.lo), d.full((rows, 1), d.hi),
            own - d.st, own + d.st]
    rest = [d.full((rows, 1), d.hi - d.st), d.full((rows, 1), d.lo + d.st),
            others, others - d.st, others + d.st,
            _shares(truth.charges, counts), _shares(truth.pay, counts),
            rng.uniform(d.lo, d.hi, (rows, RANDOM_BIDS)),
            d.grid_bids(rng, (rows, RANDOM_BIDS))]
    return d.clip(np.hstack(core)), d.clip(np.hstack(rest))


def _vector_pool(d, x, truth, a, rng):
    """The same with several items: one item's bid changes (the others
    stay truthful), or the whole vector moves."""
    rows, _, m = x.shape
    own = x[:, a, :]
    core, rest = [], []
    for r in range(m):
        always, sometimes = _scalar_pool(d, x[:, :, r], truth, a, rng)
        core.append(_put(own, r, always[:, :2]))
        rest.append(_put(own, r, np.hstack([always[:, 2:], sometimes])))
    low, high = d.full((rows, 1, m), d.lo), d.full((rows, 1, m), d.hi)
    core += [low, high, own[:, None] - d.st, own[:, None] + d.st]
    rest += [np.delete(x, a, axis=1), d.lo + (own[:, None] - d.lo) / 2,
             rng.uniform(d.lo, d.hi, (rows, RANDOM_BIDS, m)),
             d.grid_bids(rng, (rows, RANDOM_BIDS, m))]
    for r in range(m):
        rest.append(_put(low[:, 0], r, np.full((rows, 1), d.hi)))
        rest.append(_put(low[:, 0], r, own[:, r:r + 1]))
    return (d.clip(np.concatenate(core, axis=1)),
            d.clip(np.concatenate(rest, axis=1)))


def _shares(totals, counts):
    """Every total divided by every count, one row per profile."""
    return (totals[:, :, None] / counts).reshape(len(totals), -1)


def _put(own, r, bids):
    """Copies of the vectors ``own`` with item r bid by each of ``bids``."""
    out = np.repeat(own[:, None, :], bids.shape[1], axis=1)
    out[:, :, r] = bids
    return out


def _choose(core, rest, most, rng):
    """``core`` and a random choice of ``rest``, ``most`` bids per row."""
    take = most - core.shape[1]
    if take >= rest.shape[1]:
        return np.concatenate([core, rest], axis=1)
    pick = np.argsort(rng.random(rest.shape[:2]), axis=1)[:, :max(take, 0)]
    pick = pick.reshape(pick.shape + (1,) * (rest.ndim - 2))
    return np.concatenate([core, np.take_along_axis(rest, pick, axis=1)],
                          axis=1)


# ----------------------------------------------------------- local moves

class Climb:
    """Hill climbing from (profile, misreport) pairs: each move changes
    one number of the profile or of the misreport (or, with several items,
    the whole misreport) by the pair's step; the best move that raises the
    gain is kept, otherwise the step halves."""

    def __init__(self, domain, x, member, bid, gain):
        self.domain = domain
        self.x, self.bid = x.copy(), bid.copy()
        self.member, self.gain = member, gain.copy()
        self.step = np.full(len(x), float(domain.width) / FIRST_CLIMB_STEP)
        self._dx, self._dbid = _directions(x.shape[1:], bid.shape[1:])
        self._moved = None

    def moves(self):
        """Every move of every pair: profiles, misreports, and the index
        of the pair each came from."""
        count, pairs = len(self._dx), len(self.x)
        owner = np.repeat(np.arange(pairs), count)
        step = self.step[owner]
        x = np.repeat(self.x, count, axis=0) + _scale(
            step, np.concatenate([self._dx] * pairs))
        bid = np.repeat(self.bid, count, axis=0) + _scale(
            step, np.concatenate([self._dbid] * pairs))
        self._moved = self.domain.clip(x), self.domain.clip(bid)
        return self._moved + (owner,)

    def keep_best(self, moved_gain):
        """Take each pair's best move if it raises the gain, else halve."""
        pairs = len(self.x)
        gains = moved_gain.reshape(pairs, -1)
        best = gains.argmax(axis=1)
        top = gains[np.arange(pairs), best]
        better = top > self.gain + self.domain.tol
        chosen = np.arange(pairs) * gains.shape[1] + best
        x, bid = self._moved
        self.x[better] = x[chosen[better]]
        self.bid[better] = bid[chosen[better]]
        self.gain[better] = top[better]
        self.step[~better] /= 2


def _directions(x_shape, bid_shape):
    """Unit moves: +-1 on one number of the profile, on one number of the
    misreport, and (several items) on the whole misreport."""
    size_x, size_bid = math.prod(x_shape), math.prod(bid_shape)
    units = np.eye(size_x + size_bid)
    if size_bid > 1:
        whole = np.zeros(size_x + size_bid)
        whole[size_x:] = 1
        units = np.vstack([units, whole])
    both = np.vstack([units, -units])
    return (both[:, :size_x].reshape((-1,) + x_shape),
            both[:, size_x:].reshape((-1,) + bid_shape))


def _scale(step, moves):
    return step.reshape(step.shape + (1,) * (moves.ndim - 1)) * moves
