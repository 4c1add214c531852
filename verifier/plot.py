"""The deviator's utility as a function of its own bid, and its SVG plot.

With one item the deviator's bid x runs over the value box; with several,
the bid runs along the segment from its true value (t = 0) to its
misreport (t = 1), bid(t) = v + t * (b' - v). Everyone else bids as in the
witness, and utility is measured with the true values.

The curve is found by exact evaluation only:

1. evaluate at a grid, at the box ends, at the true value and the
   misreport, and at candidate breakpoints: every other bid, every charge
   of both outcomes, its shares charge / t and the multiples t * bid;
2. between neighbouring points whose outcome (items won, access) differs,
   or whose utility leaves the chord, bisect on exact rationals down to a
   fine tolerance;
3. snap each bracket so found to the simplest fraction inside it, and
   measure the utility there and its one-sided limits.

Floats appear only in the drawing's coordinates.
"""

import math
from dataclasses import dataclass, field
from fractions import Fraction
from html import escape

from .deviation import deviate
from .mechanism import run_guarded
from .model import utility

GRID = 64
DEPTH = 30          # bisection down to (hi - lo) / 2**DEPTH
VISIBLE = 400       # a change below range / VISIBLE is not drawn


@dataclass
class Breakpoint:
    """Where the utility changes its formula: its value at ``x`` and its
    limits from the left and from the right (None past an end)."""

    x: Fraction
    value: Fraction
    left: Fraction = None
    right: Fraction = None
    jump: bool = False

    def apart(self, visible):
        """The limits that differ visibly from the value."""
        return sorted({y for y in (self.left, self.right)
                       if y is not None and abs(y - self.value) > visible})


@dataclass
class Curve:
    """The deviator's utility along its bid.

    ``pieces`` are the open intervals between breakpoints, each a list of
    exact (x, utility) points with the limits at both ends; ``marks`` maps
    "true value" and "misreport" to their place on the x axis.
    """

    axis: str
    low: Fraction
    high: Fraction
    breakpoints: list
    pieces: list
    marks: dict
    linear: list = field(default_factory=list)
    values: dict = field(default_factory=dict, repr=False)
    visible: Fraction = Fraction(0)

    def jumps(self):
        """The breakpoints where the utility jumps visibly."""
        return [p for p in self.breakpoints if p.jump]

    def at(self, x):
        """The exact utility at a point the curve evaluated."""
        return self.values[x]


def utility_curve(mechanism, shape, witness, box):
    """The :class:`Curve` of ``witness``'s deviator over ``box``."""
    line = _BidLine(shape, witness, box)
    f = _Utility(mechanism, shape, witness, line)
    points = sorted({x for x in line.candidates(witness) if line.low <= x
                     <= line.high})
    for x in points:
        f(x)
    f.visible = _visible(f.values.values())

    brackets = []
    for a, b in zip(points, points[1:]):
        brackets += _refine(f, a, b, line.tolerance)
    cuts = sorted({line.low, line.high} | {simplest_between(a, b)
                                           for a, b in brackets})
    return _assemble(f, line, cuts)


def _assemble(f, line, cuts):
    delta = line.tolerance / 16
    breakpoints = []
    for x in cuts:
        p = Breakpoint(x, f(x),
                       _limit(f, x, -delta) if x > line.low else None,
                       _limit(f, x, delta) if x < line.high else None)
        p.jump = bool(p.apart(f.visible))
        breakpoints.append(p)
    pieces, linear = [], []
    for left, right in zip(breakpoints, breakpoints[1:]):
        inside = [(x, y) for x, y in sorted(f.values.items())
                  if left.x < x < right.x]
        piece = [(left.x, left.right)] + inside + [(right.x, right.left)]
        pieces.append(piece)
        linear.append(_collinear(piece))
    return Curve(line.axis, line.low, line.high, breakpoints, pieces,
                 line.marks, linear, dict(f.values), f.visible)


# ------------------------------------------------------------- the line

class _BidLine:
    """Maps a point x of the axis to the deviator's bid."""

    def __init__(self, shape, witness, box):
        self.shape = shape
        v, b = witness.value, witness.misreport
        if shape.multi_item:
            self.axis = "t"
            self.low, self.high = Fraction(0), Fraction(1)
            self.marks = {"true value": Fraction(0), "misreport": Fraction(1)}
        else:
            self.axis = "bid"
            self.low, self.high = Fraction(box.low), Fraction(box.high)
            self.marks = {"true value": v, "misreport": b}
        self.v, self.b = v, b
        self.tolerance = (self.high - self.low) / 2 ** DEPTH

    def bid(self, x):
        if not self.shape.multi_item:
            return x
        return tuple(v + x * (b - v) for v, b in zip(self.v, self.b))

    def candidates(self, witness):
        """Grid points, marks, and the points where the bid meets a
        number the mechanism is likely to compare it with."""
        step = (self.high - self.low) / GRID
        found = {self.low + k * step for k in range(GRID + 1)}
        found |= set(self.marks.values())
        for c in _numbers_compared(self.shape, witness):
            found |= self._where_bid_is(c)
        return found

    def _where_bid_is(self, c):
        if not self.shape.multi_item:
            return {c}
        return {(c - v) / (b - v) for v, b in zip(self.v, self.b) if b != v}


def _numbers_compared(shape, witness):
    """Other bids, charges, shares of charges, and multiples of bids."""
    n = shape.ell
    others = set()
    for j, i in shape.members():
        if (j, i) != (witness.group, witness.member):
            bid = witness.profile[j][i]
            others |= set(bid) if isinstance(bid, tuple) else {bid}
    charges = {Fraction(c) for out in (witness.truthful, witness.deviated)
               for c in out.charges}
    pays = {Fraction(p) for out in (witness.truthful, witness.deviated)
            for group in out.payments for p in group}
    found = set()
    for t in range(1, n + 1):
        found |= {x * t for x in others} | {x / t for x in others}
        found |= {c / t for c in charges | pays}
    return found


# ------------------------------------------------------ exact evaluation

class _Utility:
    """Exact utility of the deviator at a point of the axis, cached, with
    the outcome's shape (items won and access) as its signature."""

    def __init__(self, mechanism, shape, witness, line):
        self.mechanism, self.shape, self.w, self.line = (
            mechanism, shape, witness, line)
        self.values, self.signatures = {}, {}
        self.visible = Fraction(0)

    def __call__(self, x):
        if x not in self.values:
            w = self.w
            profile = deviate(w.profile, w.group, w.member, self.line.bid(x))
            out = run_guarded(self.mechanism, self.shape, profile)
            self.values[x] = Fraction(
                utility(self.shape, w.profile, out, w.group, w.member))
            self.signatures[x] = (out.wins, out.access)
        return self.values[x]

    def signature(self, x):
        self(x)
        return self.signatures[x]


def _visible(values):
    values = list(values)
    spread = max(values) - min(values) if values else 0
    return spread / VISIBLE if spread else Fraction(1, 10 ** 9)


def _refine(f, a, b, tolerance):
    """Brackets no wider than ``tolerance`` inside [a, b] where the
    outcome changes or the utility jumps."""
    same = f.signature(a) == f.signature(b)
    if b - a <= tolerance:
        jumps = abs(f(b) - f(a)) > f.visible
        return [] if same and not jumps else [(a, b)]
    m = (a + b) / 2
    on_chord = abs(f(m) - (f(a) + f(b)) / 2) <= f.visible
    if same and f.signature(m) == f.signature(a) and on_chord:
        return []
    return _refine(f, a, m, tolerance) + _refine(f, m, b, tolerance)


def simplest_between(a, b):
    """The fraction of least denominator in [a, b], 0 <= a <= b: where a
    breakpoint of rational data lies, once its bracket is fine enough."""
    a, b = Fraction(a), Fraction(b)
    floor = math.floor(a)
    if floor == a:
        return a
    if floor + 1 <= b:
        return Fraction(floor + 1)
    return floor + 1 / simplest_between(1 / (b - floor), 1 / (a - floor))


def _limit(f, x, delta):
    """The one-sided limit at ``x``, extrapolating the line through two
    points closer to ``x`` than any other breakpoint."""
    near, nearer = f(x + 2 * delta), f(x + delta)
    return 2 * nearer - near


def _collinear(points):
    (x0, y0), (x1, y1) = points[0], points[-1]
    if x1 == x0:
        return True
    slope = (y1 - y0) / (x1 - x0)
    return all(y == y0 + slope * (x - x0) for x, y in points)


# ------------------------------------------------------------- drawing

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 60, 52
COLOURS = {"curve": "#1f5fbf", "true value": "#1b7f3b",
           "misreport": "#c0392b", "axis": "#333", "grid": "#ddd"}


def svg(curve, title):
    """The curve as a standalone SVG element (a string), with open and
    closed ends at jumps, and the true value and misreport marked."""
    frame = _Frame(curve)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="utility-plot" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" '
        f'fill="#fff"/>',
    ]
    parts += frame.axes(curve)
    parts += [_polyline(frame, piece) for piece in curve.pieces]
    parts += _ends(frame, curve)
    parts += _marks(frame, curve)
    parts.append(f'<text x="{WIDTH / 2:.1f}" y="18" text-anchor="middle" '
                 f'font-size="14" font-family="sans-serif">'
                 f"{escape(title)}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


class _Frame:
    """From exact curve coordinates to float pixel positions."""

    def __init__(self, curve):
        ys = [y for piece in curve.pieces for _, y in piece]
        ys += [p.value for p in curve.breakpoints]
        low, high = min(ys), max(ys)
        if low == high:
            low, high = low - 1, high + 1
        pad = (high - low) / 10
        self.y0, self.y1 = float(low - pad), float(high + pad)
        self.x0, self.x1 = float(curve.low), float(curve.high)

    def x(self, x):
        span = WIDTH - LEFT - RIGHT
        return LEFT + (float(x) - self.x0) / (self.x1 - self.x0) * span

    def y(self, y):
        span = HEIGHT - TOP - BOTTOM
        return TOP + (self.y1 - float(y)) / (self.y1 - self.y0) * span

    def axes(self, curve):
        bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
        out = [f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{right}" '
               f'y2="{bottom}" stroke="{COLOURS["axis"]}"/>',
               f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" '
               f'y2="{bottom}" stroke="{COLOURS["axis"]}"/>']
        for t in _ticks(self.x0, self.x1):
            out.append(_tick_x(self.x(t), bottom, t))
        for t in _ticks(self.y0, self.y1):
            out.append(_tick_y(self.y(t), t))
        if self.y0 < 0 < self.y1:
            out.append(f'<line class="zero" x1="{LEFT}" y1="{self.y(0):.1f}"'
                       f' x2="{right}" y2="{self.y(0):.1f}" stroke='
                       f'"{COLOURS["grid"]}" stroke-dasharray="4 3"/>')
        label = ("its bid" if curve.axis == "bid" else
                 "t, bid = value + t \u00b7 (misreport \u2212 value)")
        out.append(f'<text x="{(LEFT + right) / 2:.1f}" y="{HEIGHT - 12}" '
                   f'text-anchor="middle" font-size="12" '
                   f'font-family="sans-serif">{escape(label)}</text>')
        out.append(f'<text x="14" y="{(TOP + bottom) / 2:.1f}" '
                   f'font-size="12" font-family="sans-serif" '
                   f'text-anchor="middle" transform="rotate(-90 14 '
                   f'{(TOP + bottom) / 2:.1f})">its utility</text>')
        return out


def _ticks(low, high, count=5):
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if step * factor >= raw:
            step *= factor
            break
    first = math.ceil(low / step)
    return [k * step for k in range(first, int(math.floor(high / step)) + 1)]


def _tick_x(px, bottom, t):
    return (f'<line x1="{px:.1f}" y1="{bottom}" x2="{px:.1f}" '
            f'y2="{bottom + 5}" stroke="{COLOURS["axis"]}"/>'
            f'<text x="{px:.1f}" y="{bottom + 18}" text-anchor="middle" '
            f'font-size="11" font-family="sans-serif">{t:g}</text>')


def _tick_y(py, t):
    return (f'<line x1="{LEFT - 5}" y1="{py:.1f}" x2="{LEFT}" '
            f'y2="{py:.1f}" stroke="{COLOURS["axis"]}"/>'
            f'<text x="{LEFT - 8}" y="{py + 4:.1f}" text-anchor="end" '
            f'font-size="11" font-family="sans-serif">{t:g}</text>')


def _polyline(frame, piece):
    points = " ".join(f"{frame.x(x):.2f},{frame.y(y):.2f}"
                      for x, y in piece)
    return (f'<polyline class="piece" points="{points}" fill="none" '
            f'stroke="{COLOURS["curve"]}" stroke-width="2"/>')


def _ends(frame, curve):
    """At a jump, a closed dot where the value sits and an open one at
    each limit it does not take."""
    out = []
    for p in curve.jumps():
        out.append(_dot(frame, p.x, p.value, closed=True))
        out += [_dot(frame, p.x, y, closed=False)
                for y in p.apart(curve.visible)]
    return out


def _dot(frame, x, y, closed):
    fill = COLOURS["curve"] if closed else "#fff"
    kind = "closed" if closed else "open"
    return (f'<circle class="{kind}" cx="{frame.x(x):.2f}" '
            f'cy="{frame.y(y):.2f}" r="4" fill="{fill}" '
            f'stroke="{COLOURS["curve"]}" stroke-width="1.5"/>')


def _marks(frame, curve):
    out = []
    for row, (name, x) in enumerate(curve.marks.items()):
        px, colour = frame.x(x), COLOURS[name]
        y = curve.at(x)
        anchor = "end" if px > WIDTH / 2 else "start"
        shift = 4 if anchor == "start" else -4
        out.append(
            f'<g class="mark" data-mark="{escape(name)}">'
            f'<line x1="{px:.2f}" y1="{TOP}" x2="{px:.2f}" '
            f'y2="{HEIGHT - BOTTOM}" stroke="{colour}" '
            f'stroke-dasharray="5 4"/>'
            f'<circle cx="{px:.2f}" cy="{frame.y(y):.2f}" r="5" '
            f'fill="{colour}"/>'
            f'<text x="{px + shift:.2f}" y="{TOP - 22 + 14 * row}" '
            f'text-anchor='
            f'"{anchor}" font-size="11" font-family="sans-serif" '
            f'fill="{colour}">{escape(name)} (utility {y})</text></g>')
    return out
