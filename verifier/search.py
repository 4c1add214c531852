"""One check: sampling, then the solver, then shrinking and a certificate.

    mechanism + shape + box
      -> sampling      many profiles and misreports at once (batch numbers)
      -> SMT           exists a profile, member and misreport with a gain?
      -> shrink        the simplest numbers that still show the gain
      -> exact check   re-evaluation with Fractions decides
      -> ties          is the witness robust, or does it need a tie?
      -> verdict       refuted | verified | no counterexample found | unknown
"""

import time
from fractions import Fraction

from . import sampling, smt, ties
from .errors import InvalidArgument
from .properties import FAILURES
from .shrink import shrink as shrink_witness
from .verdict import (
    NONE_FOUND, REFUTED, UNKNOWN, VERIFIED, Box, Phase, Result, Verdict,
)

ENGINES = ("sample", "smt", "both")
PROPERTIES = tuple(FAILURES)    # besides DSIC, see check_property
DEFAULT_SAMPLES = 200_000
DEFAULT_TIMEOUT = 30.0
DEFAULT_MARGIN = Fraction(1, 100)
DEFAULT_PATHS = 5000


def check(mechanism, shape, box=Box(Fraction(0), Fraction(10)), *, seed=0,
          engine="both", samples=DEFAULT_SAMPLES, timeout=DEFAULT_TIMEOUT,
          margin=DEFAULT_MARGIN, paths=DEFAULT_PATHS, shrink=True,
          regret=False, target=None, progress=None):
    """Decide whether ``mechanism`` is DSIC on ``shape`` with values in
    ``box``, and return a :class:`~verifier.verdict.Verdict`.

    ``engine`` picks sampling, the solver or both; ``samples`` bounds the
    misreports sampled, ``timeout`` each solver query in seconds, and
    ``margin`` how far from every tie a robust witness keeps, ``paths``
    the paths symbolic execution explores in a plain mechanism. With
    ``regret`` the solver also finds the largest gain any member can get,
    as a side result. ``target`` is how the certificate names the
    mechanism for reloading.
    """
    box = validate(mechanism, shape, box, engine, samples, timeout, margin)
    if not isinstance(paths, int) or paths < 1:
        raise InvalidArgument(
            f"paths={paths!r}: symbolic execution needs a whole number of "
            f"paths, at least 1")
    run = _Run(mechanism, shape, box, margin, timeout, paths)

    if engine in ("sample", "both"):
        run.sample(seed, samples, progress)
    if run.witness is None and engine in ("smt", "both"):
        run.solve()
    if run.witness is not None:
        run.finish_refutation(shrink, samples, solver=engine != "sample")
    if regret:
        run.measure_regret()
    return run.verdict(engine, samples, target)


def validate(mechanism, shape, box, engine, samples, timeout, margin):
    """Refuse arguments that would make a check empty or meaningless."""
    mechanism.accepts(shape)
    if not isinstance(box, Box):
        box = Box(*box)
    low, high = Fraction(box.low), Fraction(box.high)
    if low < 0:
        raise InvalidArgument(
            f"lower end of the value box is {low}: values are at least 0")
    if high <= low:
        raise InvalidArgument(
            f"value box [{low}, {high}] is empty or inverted: the upper end "
            f"must be above the lower end")
    if engine not in ENGINES:
        raise InvalidArgument(
            f"engine={engine!r}: use one of {', '.join(ENGINES)}")
    if isinstance(samples, bool) or not isinstance(samples, int) \
            or samples < 1:
        raise InvalidArgument(
            f"samples={samples!r}: the sampling budget is a whole number of "
            f"misreports, at least 1")
    if not timeout > 0:
        raise InvalidArgument(
            f"timeout={timeout!r}: the solver needs a positive number of "
            f"seconds per query")
    if not Fraction(margin) > 0:
        raise InvalidArgument(
            f"margin={margin!r}: the distance from ties must be positive")
    return Box(low, high)


class _Run:
    """The state of one check as it moves through its phases."""

    prop = "dsic"

    def __init__(self, mechanism, shape, box, margin, timeout, paths):
        self.mechanism, self.shape, self.box = mechanism, shape, box
        self.margin, self.timeout = Fraction(margin), timeout
        self.witness = None
        self.phases, self.results, self.notes = [], [], []
        self.proof = None          # the SMT answers when every one is unsat
        self.unknown = None        # the first SMT answer that was unknown
        self.found_by = None
        self.paths, self.symbolic = paths, None

    # ------------------------------------------------------------ phases

    def sample(self, seed, samples, progress):
        found = sampling.sample(self.mechanism, self.shape, self.box,
                                seed=seed, budget=samples, progress=progress)
        self.phases.append(found.phase)
        capped = found.phase.counts.get("budget_capped_at")
        if capped:
            self.notes.append(
                f"sampling evaluated plain Python on exact numbers, so it "
                f"stopped at {capped} misreports, fewer than the {samples} "
                f"that --samples allows")
        if found.best is not None:
            self.witness, self.found_by = found.best, "sampling"

    def solve(self):
        mechanism = self.solver_view()
        started = time.perf_counter()
        if self.symbolic is None:
            answers = smt.prove_dsic(mechanism, self.shape, self.box,
                                     timeout=self.timeout)
        else:
            answers = [self.ask_plain(mechanism, j, i)
                       for j, i in self.shape.members()]
        self.phases.append(_smt_phase("smt", answers, started))
        for answer in answers:
            if answer.status == "sat":
                self.witness, self.found_by = answer.witness, "the solver"
                return
        unknown = [a for a in answers if a.status == "unknown"]
        if unknown:
            self.unknown = unknown[0]
        else:
            self.proof = answers

    def read_plain(self):
        """Read a plain mechanism by symbolic execution; the mechanism the
        solver can query."""
        from . import symexec

        started = time.perf_counter()
        result = symexec.symbolic_mechanism(
            self.mechanism, self.shape, self.box, path_budget=self.paths)
        self.phases.append(Phase("symbolic execution",
                                 time.perf_counter() - started,
                                 result.stats.counts()))
        for fallback in result.fallbacks:
            self.notes.append(
                f"{fallback.describe()} cannot stay symbolic: the solver "
                f"does not see the profiles that reach it, and there the "
                f"result rests on sampling")
        self.symbolic = result
        return symexec.solver_mechanism(self.mechanism, result)

    def ask_plain(self, mechanism, j, i, margin=None):
        """One member's query on a plain mechanism read symbolically. A
        model that does not re-check exactly lies where symbolic execution
        did not reach, and is reported as unknown."""
        try:
            return smt.find_deviation(mechanism, self.shape, self.box, j, i,
                                      timeout=self.timeout, margin=margin)
        except smt.SolverDisagreement:
            return smt.SmtAnswer(
                "unknown", group=j, member=i,
                reason="the solver's model lies where symbolic execution "
                       "did not reach")

    def finish_refutation(self, shrink, samples, solver):
        """Prefer a witness away from ties (asking the solver for one when
        ``solver``), then shrink it, keeping it robust when it is."""
        witness = label(self.mechanism, self.shape, self.witness, self.margin)
        if witness.robust:
            self.results.append(Result(
                _away_from_ties(self.margin), REFUTED,
                f"the witness keeps every comparison at least "
                f"{self.margin} from a tie"))
        elif solver:
            robust = self.look_away_from_ties()
            if robust is not None:
                witness = label(self.mechanism, self.shape, robust,
                                self.margin)
        if shrink:
            keep = None
            if witness.robust:
                def keep(w):
                    return ties.robust(self.mechanism, self.shape, w,
                                       self.margin)
            witness, phase = shrink_witness(
                self.mechanism, self.shape, self.box, witness,
                budget=max(1000, min(samples, 20_000)), keep=keep)
            self.phases.append(phase)
        self.witness = label(self.mechanism, self.shape, witness, self.margin)

    def look_away_from_ties(self):
        """A robust witness, or None with the proof (or the unknown) that
        there is none at this margin, recorded as a side result."""
        mechanism = self.solver_view()
        started = time.perf_counter()
        if self.symbolic is None:
            answers = smt.prove_dsic(mechanism, self.shape, self.box,
                                     timeout=self.timeout, margin=self.margin)
        else:
            answers = [self.ask_plain(mechanism, j, i, self.margin)
                       for j, i in self.shape.members()]
        self.phases.append(_smt_phase("away from ties", answers, started))
        statement = _away_from_ties(self.margin)
        robust = [a for a in answers if a.status == "sat"]
        if robust:
            self.results.append(Result(
                statement, REFUTED,
                f"{_describe_member(robust[0].witness)} gains with every "
                f"comparison at least {self.margin} from a tie"))
            return robust[0].witness
        if all(a.status == "unsat" for a in answers):
            self.results.append(Result(
                statement, VERIFIED,
                "every member's query is unsat: each profitable misreport "
                "needs a tie"))
        else:
            bad = next(a for a in answers if a.status == "unknown")
            self.results.append(Result(
                statement, UNKNOWN,
                f"the solver answered unknown ({bad.reason}); raise "
                f"--timeout (now {self.timeout:g} s)"))
        return None

    def measure_regret(self):
        """The largest gain any member can get in the box, exactly, as a
        side result."""
        mechanism = self.solver_view()
        started = time.perf_counter()
        answer = smt.max_regret(mechanism, self.shape, self.box,
                                timeout=self.timeout)
        self.phases.append(Phase("regret", time.perf_counter() - started,
                                 {"queries": len(answer.members)}))
        if answer.status != smt.OPTIMAL:
            self.results.append(Result(
                "maximum regret", UNKNOWN,
                f"the solver answered unknown ({answer.reason}); raise "
                f"--timeout (now {self.timeout:g} s)"))
            return
        if answer.value == 0:
            detail = "no member gains anything by misreporting"
        else:
            reached = ("attained" if answer.attained else
                       "a supremum, approached but not attained")
            detail = (f"{answer.value}, {reached}, by member "
                      f"{answer.member + 1} of group {answer.group + 1}")
        self.results.append(Result("maximum regret", VERIFIED, detail))

    def solver_view(self):
        """The mechanism the solver queries: itself, or for plain code
        the merged outcome of symbolic execution (read once)."""
        if not self.mechanism.plain:
            return self.mechanism
        from . import symexec
        if self.symbolic is None:
            return self.read_plain()
        return symexec.solver_mechanism(self.mechanism, self.symbolic)

    # ----------------------------------------------------------- verdict

    def verdict(self, engine, samples, target):
        status, stop = self._conclude(engine, samples)
        verdict = Verdict(
            status=status, mechanism=self.mechanism.name, shape=self.shape,
            box=self.box, tie_rule=self.mechanism.tie_rule,
            prop=self.prop, witness=self.witness, phases=self.phases,
            results=self.results, stop_reason=stop, notes=self.notes,
            proof=self.proof, unknown=self.unknown)
        from . import certificate
        verdict.certificate = certificate.from_verdict(
            verdict, target, mechanism=self.mechanism)
        return verdict

    def _conclude_plain(self, engine):
        """A plain mechanism the solver could not cover: unknown when a
        budget cut the exploration, sampling's word when only fallbacks
        did."""
        stats, fallbacks = self.symbolic.stats, self.symbolic.fallbacks
        where = "; ".join(f.describe() for f in fallbacks)
        if stats.limited or not fallbacks:
            return UNKNOWN, (
                f"stopped: symbolic execution left profiles uncovered "
                f"({stats.explored} paths explored, {stats.cut} cut); raise "
                f"--paths (now {self.paths})")
        searched = "sampling found none" if engine == "both" else (
            "sampling was not run")
        return NONE_FOUND, (
            f"stopped: the solver cannot read past {where}; {searched}, so "
            f"the result rests on sampling there")

    def _conclude(self, engine, samples):
        if self.witness is not None:
            w = self.witness
            return REFUTED, (
                f"stopped: {self.found_by} found a profitable misreport "
                f"for {_describe_member(w)}, re-checked exactly "
                f"(gain {w.gain})")
        if self.proof is not None:
            how = "" if self.symbolic is None else (
                f" on the plain code read by symbolic execution "
                f"({self.symbolic.stats.explored} paths)")
            return VERIFIED, (
                f"stopped: the solver proved all {len(self.proof)} members' "
                f"queries unsat{how} within --timeout {self.timeout:g} s "
                f"each")
        if self.unknown is not None and self.symbolic is not None:
            return self._conclude_plain(engine)
        if self.unknown is not None:
            u = self.unknown
            return UNKNOWN, (
                f"stopped: the solver answered unknown for member "
                f"{u.member + 1} of group {u.group + 1} ({u.reason}); "
                f"raise --timeout (now {self.timeout:g} s)")
        why = ("the solver was not run (--engine sample)"
               if engine == "sample" else
               "the solver cannot read plain Python")
        return NONE_FOUND, (
            f"stopped: sampling used its budget of {samples} misreports "
            f"(--samples) without a profitable one, and {why}")


def label(mechanism, shape, witness, margin):
    """Mark a witness robust when every comparison the mechanism makes at
    both its profiles is at least ``margin`` from equality. A plain
    mechanism in which no comparison was seen (it may have compared copies
    such as ``Fraction(bid)``, which are not tracked) is left unlabelled."""
    robust = ties.robust(mechanism, shape, witness, margin)
    if robust and mechanism.plain and not ties.compares(mechanism, shape,
                                                        witness):
        robust = None
    witness.robust, witness.margin = robust, margin
    return witness


def _away_from_ties(margin):
    return f"DSIC away from ties (margin {margin})"


def _describe_member(witness):
    return f"member {witness.member + 1} of group {witness.group + 1}"


def _smt_phase(name, answers, started):
    counts = {"queries": len(answers)}
    for answer in answers:
        counts[answer.status] = counts.get(answer.status, 0) + 1
    return Phase(name, time.perf_counter() - started, counts)


def check_property(mechanism, shape, box, prop, **options):
    """Decide a property besides DSIC (one of PROPERTIES) through the same
    engines; see :func:`verifier.property_search.check_property`."""
    from .property_search import check_property as decide
    return decide(mechanism, shape, box, prop, **options)
