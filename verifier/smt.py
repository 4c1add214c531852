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

:func:`prove_dsic` asks every member. Where the solver has first proved a
group's members interchangeable (:func:`interchangeable`), it asks that
group once, for its first member, with the others' values in decreasing
order, and the other members' answers follow from that one.

Every answer keeps its query as SMT-LIB text, so any SMT-LIB solver can
re-check it; an answer resting on a proved symmetry keeps the query and
the symmetry's proof obligations as one disjunction, unsat exactly when
each part is.
"""

import time
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Real

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


def _deviation_query(mechanism, shape, box, j, i, margin, polys=None):
    v = symbolic_profile(shape, "v")
    b = symbolic_profile(shape, "b")[j][i]
    with ties.recording() as compared:
        truthful = mechanism.outcome(shape, v)
        deviated = mechanism.outcome(shape, deviate(v, j, i, b))
    gain = z3_value(utility(shape, v, deviated, j, i)
                    - utility(shape, v, truthful, j, i))

    names = leaves(v) + leaves(b)
    facts = in_box(names, box)
    counts = {"variables": len(names), "comparisons": len(compared)}
    if margin is not None and mechanism.held_apart is not None:
        facts += [z3_value(mechanism.held_apart(p, margin))
                  for p in (v, deviate(v, j, i, b))]
    elif margin is not None:
        held, capped = away_from_ties(compared, margin, polys)
        facts += held
        counts.update(held_apart=len(held), not_analysed=capped)
    return _Query(facts, gain, v, b, counts)


def away_from_ties(comparisons, margin, polys=None):
    """For each distinct comparison (lhs, rhs): ``|lhs - rhs| >= margin``
    unless it is degenerate at the profile. Returns the constraints and how
    many terms were too large to analyse (held to the margin throughout).
    ``polys`` may carry the analysis of terms over from earlier calls.
    """
    m = _real(margin)
    polys = _Polynomials() if polys is None else polys
    capped = polys.capped
    seen, held = set(), []
    for a, b in comparisons:
        key = tuple(sorted((a.get_id(), b.get_id())))
        if key in seen or a.eq(b):
            continue
        seen.add(key)
        if polys.constant(a) and polys.constant(b):
            continue    # counts and constants: no bid to keep from a tie
        same = polys.same(a, b)
        if same is True:
            continue
        far = z3.Or(a - b >= m, b - a >= m)
        held.append(far if same is None else z3.Or(far, same))
    return held, polys.capped - capped


def in_box(terms, box):
    """Every term within the value box."""
    return [z3.And(x >= _real(box.low), x <= _real(box.high))
            for x in terms]


def leaves(x):
    """The z3 terms of a bid, a profile or any nesting of them, in order."""
    if isinstance(x, (tuple, list)):
        return [t for part in x for t in leaves(part)]
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
    box, margin = validate(mechanism, shape, box, timeout, margin)
    _check_member(shape, j, i)
    return _ask(mechanism, shape, box, j, i, timeout, margin, _NO_SYMMETRY,
                _Polynomials())


def prove_dsic(mechanism, shape, box, *, timeout, margin=None, members=None,
               first=False, symmetry=True):
    """One answer per member of ``members`` (every member of every group
    by default); DSIC on the box is proved when all are unsat. ``first``
    stops after the first sat answer.

    With ``symmetry``, a group whose members the solver proves
    interchangeable (see :func:`interchangeable`) is asked once, for its
    first member, with the other members' values in decreasing order; the
    other members' answers follow from that one. Groups not proved
    interchangeable are asked member by member.
    """
    box, margin = validate(mechanism, shape, box, timeout, margin)
    wanted = shape.members() if members is None else list(members)
    for j, i in wanted:
        _check_member(shape, j, i)
    polys = _Polynomials()
    sym = (_interchangeable(mechanism, shape, box, timeout, margin, polys)
           if symmetry else _NO_SYMMETRY)

    answers, asked = [], {}
    for j, i in wanted:
        if j not in sym.groups:
            answers.append(_ask(mechanism, shape, box, j, i, timeout,
                                margin, sym, polys))
        else:
            if j not in asked:
                asked[j] = _ask(mechanism, shape, box, j, 0, timeout,
                                margin, sym, polys)
            answers.append(asked[j] if i == 0 else _by_symmetry(
                asked[j], mechanism, shape, i))
        if first and answers[-1].status == SAT:
            break
    return answers


def _ask(mechanism, shape, box, j, i, timeout, margin, sym, polys):
    started = time.perf_counter()
    query = _deviation_query(mechanism, shape, box, j, i, margin, polys)
    facts = query.facts + _ordered(shape, query.values, sym.groups, (j, i))
    status, model, smtlib, reason = solve(
        facts + [query.gain > 0], timeout, sym.obligations)

    answer = SmtAnswer(status, smtlib=smtlib, reason=reason, group=j,
                       member=i, margin=margin, counts=query.counts)
    if sym.groups:
        answer.counts["interchangeable_groups"] = sorted(
            g + 1 for g in sym.groups)
    if status == SAT:
        _take_witness(answer, mechanism, shape, query, model, margin)
    elif status == UNSAT and margin is not None:
        _check_region(answer, facts, timeout)
    answer.seconds = time.perf_counter() - started
    return answer


def _take_witness(answer, mechanism, shape, query, model, margin):
    witness, rounded = _model_deviation(mechanism, shape, query, model,
                                        answer.group, answer.member)
    robust = margin is None or ties.robust(mechanism, shape, witness,
                                           margin)
    if witness.gain > 0 and robust:
        if margin is not None:
            witness.robust, witness.margin = True, margin
        answer.witness = witness
    elif rounded:
        answer.status = UNKNOWN
        answer.reason = _rounded(witness)
    else:
        problem = (f"gain {witness.gain}" if witness.gain <= 0 else
                   f"a gap from a tie below the margin {margin}")
        raise _disagreement(mechanism, witness, problem)


def _model_deviation(mechanism, shape, query, model, j, i):
    """The model's deviation re-evaluated exactly, and whether an
    irrational coordinate had to be rounded."""
    values, rounded = exact_value(model, query.values)
    misreport, rounded_b = exact_value(model, query.misreport)
    return (exact_deviation(mechanism, shape, values, j, i, misreport),
            rounded or rounded_b)


def _rounded(witness):
    return (f"the solver's model has irrational coordinates and its "
            f"rational rounding {format_profile(witness.profile)} "
            f"(misreport {witness.misreport}) does not re-check "
            f"(gain {witness.gain})")


def _disagreement(mechanism, witness, problem):
    return SolverDisagreement(
        f"{mechanism.name}: the solver's deviation for member "
        f"{witness.member + 1} of group {witness.group + 1} at "
        f"{format_profile(witness.profile)}, misreport {witness.misreport},"
        f" re-checks exactly with {problem}: the symbolic and exact runs "
        f"of the mechanism disagree; report this with the profile")


def _check_region(answer, facts, timeout):
    """Turn an unsat answer with a margin into unknown unless the region
    away from ties is shown non-empty."""
    status, _, _, reason = solve(facts, timeout)
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


# ------------------------------------------------------------- symmetry

@dataclass(frozen=True)
class Symmetry:
    """Groups whose members the solver proved interchangeable, and the
    formulas whose unsatisfiability proves it; ``unproved`` says why each
    other group with several members is not among them."""

    groups: frozenset = frozenset()
    obligations: tuple = ()
    unproved: dict = field(default_factory=dict)
    seconds: float = 0.0


_NO_SYMMETRY = Symmetry()
SYMMETRY_SECONDS = 10.0


def interchangeable(mechanism, shape, box, *, timeout, margin=None):
    """Prove, group by group, that permuting a group's bids permutes its
    members' access and payments alike and changes nothing else; with a
    margin, also that it keeps a profile away from ties or near them.

    It suffices to prove this for a swap of the first two members and a
    cycle of all of them, which generate every permutation. Each group's
    obligation is one query, given at most SYMMETRY_SECONDS; a group whose
    query is not unsat is simply not used as symmetric.
    """
    box, margin = validate(mechanism, shape, box, timeout, margin)
    return _interchangeable(mechanism, shape, box, timeout, margin,
                            _Polynomials())


def _interchangeable(mechanism, shape, box, timeout, margin, polys):
    started = time.perf_counter()
    v = symbolic_profile(shape, "v")
    with ties.recording() as compared:
        base = mechanism.outcome(shape, v)
    held = (z3.And(*away_from_ties(compared, margin, polys)[0])
            if margin else None)

    proved, obligations, unproved = set(), [], {}
    for j, size in enumerate(shape.groups):
        if size < 2:
            continue
        claims = [_broken(mechanism, shape, v, base, (held, margin, polys),
                          j, perm) for perm in _generators(size)]
        obligation = z3.And(*in_box(leaves(v), box), z3.Or(*claims))
        status, _, _, reason = solve(
            [obligation], min(timeout, SYMMETRY_SECONDS))
        if status == UNSAT:
            proved.add(j)
            obligations.append(obligation)
        elif status == SAT:
            unproved[j] = ("permuting its members does more than move their "
                           "outcomes" + (" or changes which profiles are "
                                         "away from ties" if margin else ""))
        else:
            unproved[j] = reason
    return Symmetry(frozenset(proved), tuple(obligations), unproved,
                    time.perf_counter() - started)


def _generators(size):
    swap = (1, 0) + tuple(range(2, size))
    cycle = tuple(range(1, size)) + (0,)
    return [swap] if swap == cycle else [swap, cycle]


def _broken(mechanism, shape, v, base, ties_at_v, j, perm):
    """The condition that moving group j's bids by ``perm`` (member i gets
    the bid of member perm[i]) does not just move the outcome alike."""
    held, margin, polys = ties_at_v
    moved = tuple(tuple(group[p] for p in perm) if g == j else group
                  for g, group in enumerate(v))
    with ties.recording() as compared:
        out = mechanism.outcome(shape, moved)
    differs = [_differ(out.wins[g], base.wins[g]) for g in range(shape.k)]
    differs += [_differ(out.charges, base.charges)]
    for g, size in enumerate(shape.groups):
        source = perm if g == j else range(size)
        for i, h in enumerate(source):
            differs.append(_differ(
                (out.access[g][i], out.payments[g][i]),
                (base.access[g][h], base.payments[g][h])))
    if margin is not None:
        moved_held = z3.And(*away_from_ties(compared, margin, polys)[0])
        differs.append(z3.And(held, z3.Not(moved_held)))
    return z3.Or(*differs)


def _differ(xs, ys):
    return z3.Or(*[z3_value(x) != z3_value(y)
                   for x, y in zip(_flat(xs), _flat(ys))])


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [y for part in x for y in _flat(part)]
    return [x]


def _ordered(shape, v, groups, deviator):
    """Values in decreasing order inside each interchangeable group, the
    deviator left out."""
    facts = []
    for j in groups:
        rest = [leaves(b) for i, b in enumerate(v[j]) if (j, i) != deviator]
        facts += [_lex_ge(a, b) for a, b in zip(rest, rest[1:])]
    return facts


def _lex_ge(a, b):
    """a >= b in lexicographic order (a bid may have one number per item)."""
    if len(a) == 1:
        return a[0] >= b[0]
    return z3.Or(a[0] > b[0], z3.And(a[0] == b[0], _lex_ge(a[1:], b[1:])))


def _by_symmetry(answer, mechanism, shape, i):
    """Member i's answer from its group's first member's answer."""
    j = answer.group
    derived = SmtAnswer(
        answer.status, smtlib=answer.smtlib, group=j, member=i,
        margin=answer.margin, counts=dict(answer.counts, like_member=1),
        reason=(f"as member 1 of group {j + 1}, with which it is "
                f"interchangeable (proved); the query holds that member's "
                f"query and the proof of symmetry as one disjunction, "
                f"unsat exactly when each part is. {answer.reason}").strip())
    w = answer.witness
    if w is not None:
        swap = list(range(shape.groups[j]))
        swap[0], swap[i] = i, 0
        values = tuple(tuple(group[p] for p in swap) if g == j else group
                       for g, group in enumerate(w.profile))
        derived.witness = exact_deviation(mechanism, shape, values, j, i,
                                          w.misreport)
        derived.witness.robust, derived.witness.margin = w.robust, w.margin
        if derived.witness.gain != w.gain:
            raise SolverDisagreement(
                f"{mechanism.name}: member {i + 1} of group {j + 1} gains "
                f"{derived.witness.gain} at {format_profile(values)} where "
                f"member 1 gains {w.gain}, although the solver proved them "
                f"interchangeable; report this with the profile")
    return derived


# --------------------------------------------------------------- regret

@dataclass
class RegretAnswer:
    """The largest gain a member can get by misreporting in the box.

    ``value`` is exact; ``attained`` says whether some profile and
    misreport reach it (False for a supremum approached but never
    reached); ``witness``, re-checked exactly, reaches it, or gains more
    than 999/1000 of it (None when the value is 0, which bidding the
    value reaches). ``smtlib`` is the unsat query that no gain exceeds the
    value. ``status`` is "optimal" or "unknown". Over all members,
    ``members`` holds each member's answer.
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
    box, _ = validate(mechanism, shape, box, timeout, None)
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
    status, _, smtlib, reason = solve(query.facts + [above], timeout)
    if status != UNSAT:
        answer.reason = (f"the optimizer's maximum {value} was not "
                         f"confirmed: a gain above it is {status} {reason}")
        return
    near = (query.gain == _real(value) if epsilon == 0 else
            query.gain > _real(value * Fraction(999, 1000)))
    status, model, _, reason = solve(query.facts + [near], timeout)
    if status != SAT:
        answer.reason = (f"no profile reaches the optimizer's maximum "
                         f"{value}: {status} {reason}")
        return
    witness, rounded = _model_deviation(mechanism, shape, query, model,
                                        answer.group, answer.member)
    reached = (witness.gain == value if epsilon == 0 else
               value * Fraction(999, 1000) < witness.gain < value)
    if not reached:
        if rounded:
            answer.reason = _rounded(witness)
            return
        raise _disagreement(mechanism, witness, f"gain {witness.gain} "
                            f"against the solver's optimum {value}")
    answer.value, answer.attained, answer.smtlib, answer.status = (
        value, epsilon == 0, smtlib, OPTIMAL)
    answer.witness = witness if witness.gain > 0 else None
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

def solve(facts, timeout, obligations=()):
    """(status, model or None, SMT-LIB text, reason) of one query.

    ``obligations`` are formulas the answer also rests on, each proved
    unsat; the SMT-LIB text then states the query and them as one
    disjunction, unsat exactly when each of them is.
    """
    solver = z3.Solver()
    solver.set("timeout", _milliseconds(timeout))
    query = z3.And(*facts)
    solver.add(query)
    result = solver.check()
    smtlib = _smtlib(z3.Or(query, *obligations) if obligations else query)
    if result == z3.sat:
        return SAT, solver.model(), smtlib, ""
    if result == z3.unsat:
        return UNSAT, None, smtlib, ""
    return UNKNOWN, None, smtlib, _unknown_reason(
        solver.reason_unknown(), timeout, "solver")


def _smtlib(formula):
    solver = z3.Solver()
    solver.add(formula)
    return f"(set-logic {_logic(formula)})\n{solver.to_smt2()}"


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


def exact_value(model, x):
    """The model's value of x (a term or nested tuple of terms) as
    Fractions, and whether an irrational value had to be rounded."""
    if isinstance(x, (tuple, list)):
        parts = [exact_value(model, y) for y in x]
        return tuple(p for p, _ in parts), any(r for _, r in parts)
    value = model.eval(z3_value(x), model_completion=True)
    if z3.is_algebraic_value(value):
        return _fraction(value.approx(30)), True
    return _fraction(value), False


def validate(mechanism, shape, box, timeout, margin):
    """The box as a Box of Fractions and the margin as a Fraction, or the
    error naming what cannot be asked of the solver."""
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
    if not (isinstance(timeout, Real) and timeout > 0):
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
    that :func:`verifier.ties.min_gap` runs on.

    The options of a term map a polynomial's key to the polynomial and its
    ways of arising; a way is a tuple of factors that must all hold, each
    a z3 condition or an option (options, key) of a part. Conditions are
    built as z3 terms only for the polynomials two compared terms share.
    """

    def __init__(self, cap=256):
        self.cap, self.capped, self.memo, self.guards = cap, 0, {}, {}

    def same(self, a, b):
        """The condition that a - b is the zero polynomial, True when it
        always is, or None when it never is."""
        pa, pb = self.of(a), self.of(b)
        both = [_and(self.guard(pa, key), self.guard(pb, key))
                for key, (poly, _) in pa.items()
                if poly is not None and key in pb]
        return _or(both) if both else None

    def constant(self, t):
        """Whether every polynomial ``t`` can equal is a constant, as a
        count of conditions is: exact numbers never record comparing it."""
        return all(poly is not None and all(mono == () for mono in poly)
                   for poly, _ in self.of(t).values())

    def of(self, t):
        hit = self.memo.get(t.get_id())
        if hit is None:
            hit = self.memo[t.get_id()] = (t, self._options(t))
        return hit[1]

    def guard(self, options, key):
        """The condition under which the term of ``options`` equals the
        polynomial ``key``."""
        seen = self.guards.get((id(options), key))
        if seen is None:
            ways = []
            for way in options[key][1]:
                factors = [f if isinstance(f, z3.BoolRef) else self.guard(*f)
                           for f in way]
                ways.append(_all(factors))
            seen = self.guards[id(options), key] = (options, _or(ways))
        return seen[1]

    def _options(self, t):
        if z3.is_rational_value(t) or z3.is_int_value(t):
            return _single(ties.constant(_fraction(t)))
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            return _single(ties.variable(str(t)))
        kind, kids = t.decl().kind(), t.children()
        if kind == z3.Z3_OP_ITE:
            return self._branches(t, kids[0], self.of(kids[1]),
                                  self.of(kids[2]))
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
            combined = {}
            for k1, (p1, _) in out.items():
                for k2, (p2, _) in part.items():
                    poly = op(p1, p2)
                    if poly is None:
                        return _opaque(t)
                    _add_way(combined, poly, ((out, k1), (part, k2)))
            out = combined
        return out

    def _branches(self, t, condition, then, other):
        out = {}
        for options, holds in ((then, condition), (other, z3.Not(condition))):
            for key, (poly, _) in options.items():
                if poly is None:
                    return _opaque(t)
                _add_way(out, poly, (holds, (options, key)))
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


def _add_way(options, poly, way):
    options.setdefault(ties.poly_key(poly), (poly, []))[1].append(way)


def _single(poly):
    return {ties.poly_key(poly): (poly, [()])}


def _opaque(t):
    return {("opaque", t.get_id()): (None, [()])}


def _and(a, b):
    return _all([a, b])


def _all(factors):
    factors = [f for f in factors if f is not True]
    if not factors:
        return True
    return factors[0] if len(factors) == 1 else z3.And(*factors)


def _or(guards):
    if any(g is True for g in guards):
        return True
    return guards[0] if len(guards) == 1 else z3.Or(*guards)


def _fraction(t):
    if z3.is_int_value(t):
        return Fraction(t.as_long())
    return Fraction(t.numerator_as_long(), t.denominator_as_long())
