"""The solver: does some member have a profitable misreport in the box?

For member ``i`` of group ``j`` the query is: exist true values ``v`` (every
member, every item, in the box) and a misreport ``b`` (in the box) with

    utility(v, M(v with b in place of v_ji)) - utility(v, M(v)) > 0,

both utilities measured with the true values ``v``. ``M`` is the mechanism
run on z3 terms (:func:`verifier.mechanism.symbolic_profile`). ``sat`` gives
a model, which is turned into Fractions and re-evaluated exactly; only that
re-evaluation makes it a witness. ``unsat`` proves there is no profitable
misreport for that member, on this shape and box, under the mechanism's tie
rule. ``unknown`` is reported as unknown with the solver's reason.

With a margin ``m`` the query keeps only profiles where every comparison
the mechanism makes, at the truthful and at the deviated profile, has a
gap of at least ``m`` or is degenerate (see :mod:`verifier.ties`): "no
profitable misreport away from ties".

Every answer keeps its query as SMT-LIB text, so any SMT-LIB solver can
re-check it.
"""

import time
from dataclasses import dataclass, field
from fractions import Fraction

import z3

from . import ties
from .deviation import deviate, exact_deviation
from .errors import InvalidArgument, MechanismError
from .mechanism import format_profile, symbolic_profile
from .model import utility
from .numbers import z3_value
from .verdict import Box

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"


@dataclass
class SmtAnswer:
    """One solver query and what came of it.

    ``status`` is "sat", "unsat" or "unknown". A sat answer carries an
    exactly re-checked ``witness`` (a deviation) or ``violation`` (a
    property check). ``smtlib`` is the query; ``reason`` says why the solver
    gave up, or anything else worth knowing; ``counts`` holds its size.
    """

    status: str
    witness: object = None
    smtlib: str = ""
    reason: str = ""
    seconds: float = 0.0
    group: int = None
    member: int = None
    margin: object = None
    violation: object = None
    counts: dict = field(default_factory=dict)


class SolverDisagreement(MechanismError):
    """The solver's model does not re-check on exact numbers: the symbolic
    and exact runs of the mechanism disagree, which is a bug."""


# ---------------------------------------------------------- the queries

@dataclass
class _Query:
    """A deviation query for one member: the facts and the gain."""

    facts: list
    gain: object
    values: tuple
    misreport: object
    counts: dict


def _deviation_query(mechanism, shape, box, j, i, margin):
    v = symbolic_profile(shape, "v")
    b = symbolic_profile(shape, "b")[j][i]
    with ties.recording() as compared:
        truthful = mechanism.outcome(shape, v)
        deviated = mechanism.outcome(shape, deviate(v, j, i, b))
    gain = z3_value(utility(shape, v, deviated, j, i)
                    - utility(shape, v, truthful, j, i))

    names = _leaves(v) + _leaves(b)
    facts = [z3.And(x >= _real(box.low), x <= _real(box.high))
             for x in names]
    counts = {"variables": len(names), "comparisons": len(compared)}
    if margin is not None:
        held, capped = away_from_ties(compared, margin)
        facts += held
        counts.update(held_apart=len(held), not_analysed=capped)
    return _Query(facts, gain, v, b, counts)


def away_from_ties(comparisons, margin):
    """For each distinct comparison (lhs, rhs): ``|lhs - rhs| >= margin``
    unless it is degenerate at the profile. Returns the constraints and how
    many terms were too large to analyse (held to the margin throughout).
    """
    m = _real(margin)
    polys = _Polynomials()
    seen, held = set(), []
    for a, b in comparisons:
        key = tuple(sorted((a.get_id(), b.get_id())))
        if key in seen or a.eq(b):
            continue
        seen.add(key)
        same = polys.same(a, b)
        if same is True:
            continue
        far = z3.Or(a - b >= m, b - a >= m)
        held.append(far if same is None else z3.Or(far, same))
    return held, polys.capped


def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [t for part in x for t in _leaves(part)]
    return [z3_value(x)]


def _real(q):
    q = Fraction(q)
    return z3.RealVal(f"{q.numerator}/{q.denominator}")


# ---------------------------------------------------------- deviations

def find_deviation(mechanism, shape, box, j, i, *, timeout, margin=None):
    """Ask the solver for a profitable misreport of member ``i`` of group
    ``j`` (both from 0): values and misreport in ``box``, gain above 0.

    ``timeout`` is in seconds. With ``margin`` only profiles whose every
    comparison, truthful and deviated, is at least ``margin`` from a tie
    (or degenerate) count; an unsat answer is then only given after the
    solver has shown that such profiles exist.
    """
    box, margin = _arguments(mechanism, shape, box, timeout, margin)
    _check_member(shape, j, i)
    started = time.perf_counter()

    query = _deviation_query(mechanism, shape, box, j, i, margin)
    status, model, smtlib, reason = _solve(
        query.facts + [query.gain > 0], timeout)

    answer = SmtAnswer(status, smtlib=smtlib, reason=reason, group=j,
                       member=i, margin=margin, counts=query.counts)
    if status == SAT:
        _take_witness(answer, mechanism, shape, query, model, margin)
    elif status == UNSAT and margin is not None:
        _check_region(answer, query.facts, timeout)
    answer.seconds = time.perf_counter() - started
    return answer


def prove_dsic(mechanism, shape, box, *, timeout, margin=None, members=None,
               first=False):
    """One :func:`find_deviation` answer per member of ``members`` (every
    member of every group by default); DSIC on the box is proved when all
    are unsat. ``first`` stops after the first sat answer.

    No symmetry between members is assumed: each member is asked on its
    own, since a tie rule treats members of different groups, and may
    treat members of one group, differently.
    """
    answers = []
    for j, i in shape.members() if members is None else members:
        answers.append(find_deviation(mechanism, shape, box, j, i,
                                      timeout=timeout, margin=margin))
        if first and answers[-1].status == SAT:
            break
    return answers


def _take_witness(answer, mechanism, shape, query, model, margin):
    values, rounded = _exact(model, query.values)
    misreport, rounded_b = _exact(model, query.misreport)
    witness = exact_deviation(mechanism, shape, values, answer.group,
                              answer.member, misreport)
    robust = margin is None or ties.robust(mechanism, shape, witness,
                                           margin)
    if witness.gain > 0 and robust:
        if margin is not None:
            witness.robust, witness.margin = True, margin
        answer.witness = witness
        return
    if rounded or rounded_b:
        answer.status = UNKNOWN
        answer.reason = (
            f"the solver's model has irrational coordinates and its "
            f"rational rounding {format_profile(values)} (misreport "
            f"{misreport}) does not re-check (gain {witness.gain})")
        return
    problem = (f"gain {witness.gain}" if witness.gain <= 0 else
               f"its smallest gap from a tie is below the margin {margin}")
    raise SolverDisagreement(
        f"{mechanism.name}: the solver's deviation for member "
        f"{answer.member + 1} of group {answer.group + 1} at "
        f"{format_profile(values)}, misreport {misreport}, re-checks "
        f"exactly with {problem}: the symbolic and exact runs of the "
        f"mechanism disagree; report this with the profile")


def _check_region(answer, facts, timeout):
    """Turn an unsat answer with a margin into unknown unless the region
    away from ties is shown non-empty."""
    status, _, _, reason = _solve(facts, timeout)
    answer.counts["region"] = status
    if status == SAT:
        return
    answer.status = UNKNOWN
    if status == UNSAT:
        answer.reason = (
            f"no profile in the box keeps every comparison at least "
            f"{answer.margin} from a tie, so unsat would say nothing: "
            f"lower the margin")
    else:
        answer.reason = (
            f"unsat, but whether any profile keeps every comparison "
            f"{answer.margin} from a tie is unknown ({reason})")


# --------------------------------------------------------------- regret

@dataclass
class RegretAnswer:
    """The largest gain a member can get by misreporting in the box.

    ``value`` is exact; ``attained`` says whether some profile and
    misreport reach it (False for a supremum approached but never
    reached); ``witness`` reaches it, or comes within a thousandth of it.
    ``status`` is "optimal" or "unknown". Over all members, ``members``
    holds each member's answer.
    """

    value: object
    attained: object
    witness: object
    status: str
    reason: str = ""
    seconds: float = 0.0
    group: int = None
    member: int = None
    smtlib: str = ""
    members: list = field(default_factory=list)


OPTIMAL = "optimal"


def max_regret(mechanism, shape, box, *, timeout, members=None):
    """The largest gain any member can get by misreporting, values and
    misreports in ``box``: z3's optimum for each member, confirmed by an
    unsat query above it and, when attained, a sat query at it."""
    box, _ = _arguments(mechanism, shape, box, timeout, None)
    started = time.perf_counter()
    each = [_member_regret(mechanism, shape, box, j, i, timeout)
            for j, i in (shape.members() if members is None else members)]
    unknown = [a for a in each if a.status != OPTIMAL]
    if unknown:
        first = unknown[0]
        return RegretAnswer(
            None, None, None, UNKNOWN,
            f"member {first.member + 1} of group {first.group + 1}: "
            f"{first.reason}", time.perf_counter() - started, members=each)
    best = max(a.value for a in each)
    top = sorted((a for a in each if a.value == best),
                 key=lambda a: not a.attained)[0]
    return RegretAnswer(best, top.attained, top.witness, OPTIMAL,
                        top.reason, time.perf_counter() - started,
                        top.group, top.member, top.smtlib, each)


def _member_regret(mechanism, shape, box, j, i, timeout):
    started = time.perf_counter()
    query = _deviation_query(mechanism, shape, box, j, i, None)
    answer = RegretAnswer(None, None, None, UNKNOWN, group=j, member=i)
    optimum = _optimum(query, timeout)
    if isinstance(optimum, str):
        answer.reason = optimum
    else:
        _confirm_optimum(answer, mechanism, shape, query, timeout, *optimum)
    answer.seconds = time.perf_counter() - started
    return answer


def _optimum(query, timeout):
    """(value, epsilon coefficient) of z3's maximum gain, or the reason
    there is none."""
    opt = z3.Optimize()
    opt.set("timeout", _milliseconds(timeout))
    opt.add(z3.And(*query.facts))
    goal = opt.maximize(query.gain)
    result = opt.check()
    if result != z3.sat:
        return _unknown_reason(opt.reason_unknown(), timeout, "optimizer")
    infinite, value, epsilon = (_fraction(x) for x in goal.upper_values())
    if infinite:
        return "the optimizer reports an unbounded gain"
    return value, epsilon


def _confirm_optimum(answer, mechanism, shape, query, timeout, value,
                     epsilon):
    above = query.gain > _real(value) if epsilon == 0 else (
        query.gain >= _real(value))
    status, _, smtlib, reason = _solve(query.facts + [above], timeout)
    if status != UNSAT:
        answer.reason = (f"the optimizer's maximum {value} was not "
                         f"confirmed: a gain above it is {status} {reason}")
        return
    near = (query.gain == _real(value) if epsilon == 0 else
            query.gain > _real(value * Fraction(999, 1000)))
    status, model, _, reason = _solve(query.facts + [near], timeout)
    if status != SAT:
        answer.reason = (f"no profile reaches the optimizer's maximum "
                         f"{value}: {status} {reason}")
        return
    scratch = SmtAnswer(SAT, group=answer.group, member=answer.member)
    _take_witness(scratch, mechanism, shape, query, model, None)
    if scratch.witness is None:
        answer.reason = scratch.reason
        return
    answer.value, answer.attained = value, epsilon == 0
    answer.witness, answer.smtlib, answer.status = (
        scratch.witness, smtlib, OPTIMAL)
    if not answer.attained:
        answer.reason = (f"{value} is a supremum: every gain is below it, "
                         f"gains come arbitrarily close")


# ------------------------------------------------------------ properties

def check_property(mechanism, shape, box, prop, *, timeout):
    """Ask the solver for a profile in ``box`` where ``prop`` fails; see
    :func:`verifier.properties.check`."""
    from .properties import check
    return check(mechanism, shape, box, prop, timeout=timeout)


# -------------------------------------------------------------- solving

def _solve(facts, timeout):
    """(status, model or None, SMT-LIB text, reason) of one query."""
    solver = z3.Solver()
    solver.set("timeout", _milliseconds(timeout))
    query = z3.And(*facts)
    solver.add(query)
    result = solver.check()
    smtlib = f"(set-logic {_logic(query)})\n{solver.to_smt2()}"
    if result == z3.sat:
        return SAT, solver.model(), smtlib, ""
    if result == z3.unsat:
        return UNSAT, None, smtlib, ""
    return UNKNOWN, None, smtlib, _unknown_reason(
        solver.reason_unknown(), timeout, "solver")


def _unknown_reason(why, timeout, who):
    return (f"z3's {who} answered unknown ({why}) with a timeout of "
            f"{timeout:g} s per query: raise the timeout")


def _milliseconds(timeout):
    return max(1, round(float(timeout) * 1000))


def _logic(term):
    """QF_LRA, or QF_NRA when some product or quotient has two bids."""
    seen, stack = set(), [term]
    while stack:
        t = stack.pop()
        if t.get_id() in seen or not z3.is_app(t):
            continue
        seen.add(t.get_id())
        kids = t.children()
        kind = t.decl().kind()
        if kind == z3.Z3_OP_MUL and sum(not _numeral(k) for k in kids) > 1:
            return "QF_NRA"
        if kind == z3.Z3_OP_DIV and not _numeral(kids[1]):
            return "QF_NRA"
        stack.extend(kids)
    return "QF_LRA"


def _numeral(t):
    if z3.is_app(t) and t.decl().kind() == z3.Z3_OP_TO_REAL:
        t = t.children()[0]
    return z3.is_rational_value(t) or z3.is_int_value(t)


def _exact(model, x):
    """The model's value of x (a term or nested tuple of terms) as
    Fractions, and whether an irrational value had to be rounded."""
    if isinstance(x, (tuple, list)):
        parts = [_exact(model, y) for y in x]
        return tuple(p for p, _ in parts), any(r for _, r in parts)
    value = model.eval(z3_value(x), model_completion=True)
    if z3.is_algebraic_value(value):
        return _fraction(value.approx(30)), True
    return _fraction(value), False


def _arguments(mechanism, shape, box, timeout, margin):
    if mechanism.plain:
        raise MechanismError(
            f"{mechanism.name} is plain Python, which the solver cannot "
            f"read: check it by sampling, or write it with verifier.ops")
    mechanism.accepts(shape)
    low, high = (box.low, box.high) if isinstance(box, Box) else box
    low, high = Fraction(low), Fraction(high)
    if low < 0 or high <= low:
        raise InvalidArgument(
            f"value box [{low}, {high}]: values are at least 0 and the "
            f"upper end must be above the lower end")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise InvalidArgument(
            f"timeout={timeout!r}: give the solver a positive number of "
            f"seconds per query")
    if margin is not None:
        margin = Fraction(margin)
        if margin <= 0:
            raise InvalidArgument(
                f"margin={margin}: the distance from ties must be above 0; "
                f"pass margin=None to include ties")
    return Box(low, high), margin


def _check_member(shape, j, i):
    if not (isinstance(j, int) and 0 <= j < shape.k and isinstance(i, int)
            and 0 <= i < shape.groups[j]):
        raise InvalidArgument(
            f"member (group {j!r}, member {i!r}) is not in a shape with "
            f"groups={shape.groups}: both are counted from 0")


# ------------------------------------------------- polynomials of terms

class _Polynomials:
    """Each z3 term as the polynomials in the bids it can equal, each with
    the condition under which it does; the symbolic twin of the Fractions
    that :func:`verifier.ties.min_gap` runs on."""

    def __init__(self, cap=256):
        self.cap, self.capped, self.memo = cap, 0, {}

    def same(self, a, b):
        """The condition that a - b is the zero polynomial, or None when it
        never is."""
        pa, pb = self.of(a), self.of(b)
        both = [_and(ga, pb[key][1]) for key, (poly, ga) in pa.items()
                if poly is not None and key in pb]
        return _or(both) if both else None

    def of(self, t):
        hit = self.memo.get(t.get_id())
        if hit is None:
            hit = self.memo[t.get_id()] = (t, self._options(t))
        return hit[1]

    def _options(self, t):
        if z3.is_rational_value(t) or z3.is_int_value(t):
            return _single(ties.constant(_fraction(t)))
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            return _single(ties.variable(str(t)))
        kind, kids = t.decl().kind(), t.children()
        if kind == z3.Z3_OP_ITE:
            return self._merge(t, [(self.of(kids[1]), kids[0]),
                                   (self.of(kids[2]), z3.Not(kids[0]))])
        if kind == z3.Z3_OP_TO_REAL:
            return self.of(kids[0])
        if kind == z3.Z3_OP_UMINUS:
            return self._fold(t, [_single(ties.constant(-1)),
                                  self.of(kids[0])], ties.poly_mul)
        arith = _ARITHMETIC.get(kind)
        if arith is None:
            return _opaque(t)
        return self._fold(t, [self.of(kid) for kid in kids], arith)

    def _fold(self, t, parts, op):
        out = parts[0]
        for part in parts[1:]:
            if len(out) * len(part) > self.cap * self.cap:
                self.capped += 1
                return _opaque(t)
            pairs = [(op(p, q), _and(g, h)) for p, g in out.values()
                     for q, h in part.values()]
            if any(p is None for p, _ in pairs):
                return _opaque(t)
            out = _group(pairs)
        return out

    def _merge(self, t, branches):
        pairs = [(p, _and(condition, g)) for options, condition in branches
                 for p, g in options.values()]
        if any(p is None for p, _ in pairs):
            return _opaque(t)
        out = _group(pairs)
        if len(out) > self.cap:
            self.capped += 1
            return _opaque(t)
        return out


_ARITHMETIC = {
    z3.Z3_OP_ADD: ties.poly_add,
    z3.Z3_OP_SUB: lambda p, q: ties.poly_add(p, q, -1),
    z3.Z3_OP_MUL: ties.poly_mul,
    z3.Z3_OP_DIV: ties.poly_div,
}


def _single(poly):
    return {ties.poly_key(poly): (poly, True)}


def _opaque(t):
    return {("opaque", t.get_id()): (None, True)}


def _group(pairs):
    grouped = {}
    for poly, guard in pairs:
        grouped.setdefault(ties.poly_key(poly), (poly, []))[1].append(guard)
    return {key: (poly, _or(guards))
            for key, (poly, guards) in grouped.items()}


def _and(a, b):
    if a is True:
        return b
    if b is True:
        return a
    return z3.And(a, b)


def _or(guards):
    if any(g is True for g in guards):
        return True
    return guards[0] if len(guards) == 1 else z3.Or(*guards)


def _fraction(t):
    if z3.is_int_value(t):
        return Fraction(t.as_long())
    return Fraction(t.numerator_as_long(), t.denominator_as_long())
