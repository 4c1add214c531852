"""The independent checker of certificates.

It reloads the mechanism a certificate names, re-evaluates the evidence on
exact Fractions and names the first field that does not match. It shares
no code with the search that wrote the certificate: no solver, no
sampling, no shrinking, no floats; only the exact model, the mechanism's
exact outcome path and the loader.

A refutation is re-checked completely. A proof is checked for form only:
every member has a kept SMT-LIB query whose answer was unsat, and the
proof rests on those queries, which another solver can re-run.

Checking runs the mechanism the certificate names: a file or module
target is code, so check only certificates whose code you would run.
"""

import ast
import importlib
import inspect
import json
import os
from dataclasses import dataclass, field
from fractions import Fraction

from .errors import DsicError
from .loading import load_target
from .mechanism import as_outcome, format_profile
from .model import Shape, check_outcome, exact_profile

FORMAT = "dsic-certificate"
VERSION = 1
FIELDS = ("claim", "domain", "evidence", "format", "mechanism", "notes",
          "results", "shape", "stop_reason", "tools", "verdict", "version")
MECHANISM_FIELDS = ("name", "plain", "source_sha256", "target", "tie_rule")
TOOLS = ("dsic", "python", "z3")
OUTCOME_FIELDS = ("wins", "charges", "access", "payments")
EVIDENCE = {
    "refuted": "witness",
    "verified": "smt",
    "no counterexample found": "sampling",
    "unknown": "unknown",
}
EVIDENCE_FIELDS = {
    "witness": ("group", "member", "profile", "misreport", "truthful",
                "deviated", "utilities", "gain", "robust", "margin"),
    "violation": ("profile", "outcome", "fact"),
    "smt": ("queries", "margin", "solver"),
    "sampling": ("counts",),
    "unknown": ("reason", "setting"),
}
CLAIMS = {
    "dsic": "no member gains by bidding anything but its true value, "
            "whatever the others bid",
    "individual_rationality": "every truthful member ends with utility at "
                              "least 0",
    "budget_balance": "in every group the members' payments sum exactly "
                      "to the group's charge",
    "no_positive_transfers": "no member or group is paid: every payment "
                             "and charge is at least 0",
    "feasibility": "every item goes to at most one group, and members use "
                   "only items their group won",
    "equal_treatment": "two members of one group with identical bids get "
                       "the same access and pay the same",
}


class Mismatch(Exception):
    """A field of the certificate that does not hold; the message names
    it."""


@dataclass
class CheckReport:
    """What the checker concluded about one certificate.

    ``ok`` is True when every field that can be re-checked holds;
    ``problems`` names each field that does not; ``notes`` says what was
    not re-checked and why.
    """

    ok: bool
    problems: list
    summary: str
    notes: list = field(default_factory=list)


def check_file(path):
    """Check the certificate stored at ``path``; a relative file target
    is also looked for beside it."""
    try:
        with open(path, encoding="utf-8") as stream:
            cert = json.load(stream)
    except (OSError, json.JSONDecodeError) as error:
        return _report([f"{path}: {error}"], [], "")
    return check_certificate(cert, base=os.path.dirname(path) or ".")


def check_certificate(cert, base=None):
    """Re-check ``cert`` and return a :class:`CheckReport`."""
    check = _Check(base)
    try:
        praise = check.run(cert)
    except Mismatch as problem:
        check.problems.append(str(problem))
        praise = ""
    return _report(check.problems, check.notes, praise)


def _report(problems, notes, praise):
    if not problems:
        return CheckReport(True, [], praise, notes)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return CheckReport(False, problems,
                       f"certificate rejected: {problems[0]}{more}", notes)


# --------------------------------------------------------------- reading

def fields(data, path, names):
    """Refuse ``data`` unless it is an object with exactly ``names``."""
    if not isinstance(data, dict):
        raise Mismatch(f"{path} is {_show(data)}: expected an object with "
                       f"fields {', '.join(names)}")
    missing = [name for name in names if name not in data]
    if missing:
        raise Mismatch(f"{path}.{missing[0]} is missing")
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise Mismatch(f"{path}.{unknown[0]}: unknown field; a certificate "
                       f"of version {VERSION} has {', '.join(names)}")


def typed(value, path, kinds, words):
    """``value`` if it is one of ``kinds`` (bool is not an int)."""
    if isinstance(value, bool) and bool not in kinds or not isinstance(
            value, kinds):
        raise Mismatch(f"{path} is {_show(value)}: expected {words}")
    return value


def rational(text, path):
    """The Fraction a certificate writes as a string such as "3/2"."""
    typed(text, path, (str,), 'an exact number written as a string, '
          'e.g. "3/2"')
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise Mismatch(f"{path} is {text!r}: expected an exact number "
                       f"such as \"3/2\"") from None


def index(value, path, count, what):
    """A position counted from 1, as an index counted from 0."""
    typed(value, path, (int,), f"a {what} number counted from 1")
    if not 1 <= value <= count:
        raise Mismatch(f"{path} is {value}: expected a {what} from 1 to "
                       f"{count}")
    return value - 1


def bid(data, shape, path):
    """A value or misreport: a string, or a list of strings per item."""
    if not shape.multi_item:
        return rational(data, path)
    typed(data, path, (list,), f"a list of {shape.items} numbers")
    if len(data) != shape.items:
        raise Mismatch(f"{path} has {len(data)} numbers: the shape has "
                       f"{shape.items} items")
    return tuple(rational(x, f"{path}[{r}]") for r, x in enumerate(data))


def profile(data, shape, path):
    """A profile of exact bids that fits ``shape``."""
    typed(data, path, (list,), "a list of groups")
    groups = [typed(g, f"{path}[{j}]", (list,), "a list of member bids")
              for j, g in enumerate(data)]
    bids = [[bid(b, shape, f"{path}[{j}][{i}]") for i, b in enumerate(g)]
            for j, g in enumerate(groups)]
    try:
        return exact_profile(shape, bids)
    except DsicError as error:
        raise Mismatch(f"{path}: {error}") from None


def inside(bid_, box, path):
    """Refuse a bid with a number outside the certificate's domain."""
    low, high = box
    for x in bid_ if isinstance(bid_, tuple) else (bid_,):
        if not low <= x <= high:
            raise Mismatch(f"{path}: {x} lies outside the domain "
                           f"[{low}, {high}]")


# ------------------------------------------------------------- the check

class _Check:
    """One run of the checker; problems and notes accumulate here."""

    def __init__(self, base):
        self.base = base
        self.problems, self.notes = [], []

    def run(self, cert):
        self.head(cert)
        self.shape = self.read_shape(cert["shape"])
        self.box = self.read_domain(cert["domain"])
        prop = self.read_claim(cert["claim"])
        self.read_side(cert)
        kind = self.evidence_kind(cert["verdict"], prop, cert["evidence"])
        self.mechanism = self.reload(cert["mechanism"])
        praise = getattr(self, f"check_{kind}")(cert["evidence"], prop)
        self.read_statement(cert["claim"], cert["mechanism"])
        return praise

    def evidence_kind(self, status, prop, evidence):
        kind = EVIDENCE.get(status)
        if kind is None:
            raise Mismatch(f"verdict is {_show(status)}: expected one of "
                           f"{', '.join(EVIDENCE)}")
        if status == "refuted" and prop != "dsic":
            kind = "violation"
        said = evidence.get("kind") if isinstance(evidence, dict) else None
        if said != kind:
            raise Mismatch(f"evidence.kind is {_show(said)}: a {status} "
                           f"{prop} certificate holds {_show(kind)}")
        fields(evidence, "evidence", ("kind",) + EVIDENCE_FIELDS[kind])
        return kind

    # ------------------------------------------------------------ head

    def head(self, cert):
        if not isinstance(cert, dict):
            raise Mismatch(f"the certificate is {_show(cert)}: expected a "
                           f"JSON object")
        if cert.get("format") != FORMAT:
            raise Mismatch(f"format is {_show(cert.get('format'))}: this "
                           f"checker reads {FORMAT!r}")
        if cert.get("version") != VERSION:
            raise Mismatch(f"version is {_show(cert.get('version'))}: this "
                           f"checker reads version {VERSION}")
        fields(cert, "certificate", FIELDS)
        fields(cert["tools"], "tools", TOOLS)
        for tool in TOOLS:
            typed(cert["tools"][tool], f"tools.{tool}", (str,), "a version")
        fields(cert["mechanism"], "mechanism", MECHANISM_FIELDS)

    def read_shape(self, data):
        fields(data, "shape", ("groups", "items", "valuation"))
        try:
            return Shape.from_json(data)
        except DsicError as error:
            raise Mismatch(f"shape: {error}") from None

    def read_domain(self, data):
        fields(data, "domain", ("low", "high"))
        low = rational(data["low"], "domain.low")
        high = rational(data["high"], "domain.high")
        if not 0 <= low <= high:
            raise Mismatch(f"domain is [{low}, {high}]: expected "
                           f"0 <= low <= high")
        return low, high

    def read_claim(self, claim):
        fields(claim, "claim", ("property", "statement"))
        prop = claim["property"]
        if prop not in CLAIMS:
            raise Mismatch(f"claim.property is {_show(prop)}: expected one "
                           f"of {', '.join(CLAIMS)}")
        return prop

    def read_statement(self, claim, mechanism):
        """The claim in words must be what the certificate's fields say."""
        tie_rule = typed(mechanism["tie_rule"], "mechanism.tie_rule",
                         (str,), "the tie rule in words")
        expected = statement(claim["property"], self.shape, self.box,
                             tie_rule)
        if claim["statement"] != expected:
            self.problems.append(
                f"claim.statement does not say what the certificate's "
                f"fields say, which is {json.dumps(expected)}")

    def read_side(self, cert):
        typed(cert["stop_reason"], "stop_reason", (str,), "a sentence")
        for n, note in enumerate(typed(cert["notes"], "notes", (list,),
                                       "a list of sentences")):
            typed(note, f"notes[{n}]", (str,), "a sentence")
        for n, result in enumerate(typed(cert["results"], "results",
                                         (list,), "a list of statements")):
            path = f"results[{n}]"
            fields(result, path, ("statement", "status", "detail"))
            for key in ("statement", "status", "detail"):
                typed(result[key], f"{path}.{key}", (str,), "a sentence")

    # --------------------------------------------------------- mechanism

    def reload(self, data):
        """The mechanism the certificate names, compared with its record."""
        target = data["target"]
        if target is None:
            raise Mismatch("mechanism.target is null: the mechanism cannot "
                           "be reloaded, so the evidence cannot be "
                           "re-checked")
        typed(target, "mechanism.target", (str,), "a loadable name")
        try:
            mechanism, _ = load_target(target, self.base)
        except DsicError as error:
            raise Mismatch(f"mechanism.target: {error}") from None
        digest = mechanism.source_hash()
        if data["source_sha256"] != digest:
            self.problems.append(
                f"mechanism.source_sha256: certificate says "
                f"{_short_hash(data['source_sha256'])}, the mechanism loaded "
                f"from {target!r} hashes to {_short_hash(digest)}: its code "
                f"is not the code the certificate was written for")
        for key in ("name", "tie_rule", "plain"):
            self.compare(f"mechanism.{key}", data[key],
                         getattr(mechanism, key), f"{target!r} has")
        try:
            mechanism.accepts(self.shape)
        except DsicError as error:
            raise Mismatch(f"shape: {error}") from None
        return mechanism

    def compare(self, path, said, found, source="exact re-evaluation gives"):
        if said != found:
            self.problems.append(f"{path}: certificate says {_show(said)}, "
                                 f"{source} {_show(found)}")

    # ---------------------------------------------------------- witness

    def check_witness(self, evidence, prop):
        shape, box = self.shape, self.box
        j = index(evidence["group"], "evidence.group", shape.k, "group")
        i = index(evidence["member"], "evidence.member", shape.groups[j],
                  "member")
        values = self.read_profile(evidence["profile"])
        misreport = bid(evidence["misreport"], shape, "evidence.misreport")
        inside(misreport, box, "evidence.misreport")
        bids = replace_bid(values, j, i, misreport)

        who = f"member {i + 1} of group {j + 1}"
        truthful = self.outcome(values)
        deviated = self.outcome(bids)
        self.same_outcome("evidence.truthful", evidence["truthful"],
                          truthful, f"at {format_profile(values)}")
        self.same_outcome("evidence.deviated", evidence["deviated"],
                          deviated, f"with {who} (evidence.member, "
                          f"evidence.group) bidding {_bid(misreport)} "
                          f"(evidence.misreport)")
        u = [utility(shape, values[j][i], out.access[j][i],
                     out.payments[j][i]) for out in (truthful, deviated)]
        self.check_gain(evidence, u)
        label = self.check_robust(evidence, values, bids)
        if self.problems:
            return ""
        return (f"refutation re-checked exactly: {who}, with value "
                f"{_bid(values[j][i])}, gains {u[1] - u[0]} by bidding "
                f"{_bid(misreport)} at profile {format_profile(values)} "
                f"({self.mechanism.name}){label}")

    def read_profile(self, data):
        """The evidence's profile, every value inside the domain."""
        values = profile(data, self.shape, "evidence.profile")
        for j, group in enumerate(values):
            for i, v in enumerate(group):
                inside(v, self.box, f"evidence.profile[{j}][{i}]")
        return values

    def outcome(self, bids, checked=True):
        try:
            if checked:
                return self.mechanism.outcome(self.shape, bids)
            raw = self.mechanism.rule(bids)
            return as_outcome(self.shape, raw, self.mechanism.name)
        except Exception as error:  # the mechanism's own failure
            raise Mismatch(
                f"evidence: {self.mechanism.name} raised "
                f"{type(error).__name__}: {error} at profile "
                f"{format_profile(bids)}") from None

    def same_outcome(self, path, said, outcome, context):
        fields(said, path, OUTCOME_FIELDS)
        found = outcome.to_json()
        for key in OUTCOME_FIELDS:
            if _canonical(said[key]) != found[key]:
                self.problems.append(
                    f"{path}.{key}: certificate says {_show(said[key])}, "
                    f"exact re-evaluation {context} gives "
                    f"{_show(found[key])}")
                return

    def check_gain(self, evidence, u):
        said = evidence["utilities"]
        fields(said, "evidence.utilities", ("truthful", "deviated"))
        for key, found in zip(("truthful", "deviated"), u):
            path = f"evidence.utilities.{key}"
            self.compare(path, rational(said[key], path), found)
        gain = u[1] - u[0]
        said = rational(evidence["gain"], "evidence.gain")
        if said != gain or gain <= 0:
            self.problems.append(
                f"evidence.gain: certificate says {said}, exact "
                f"re-evaluation gives {gain}" + (
                    ", and a witness needs a gain above 0" if gain <= 0
                    else ""))

    def check_robust(self, evidence, values, bids):
        """Re-check the robust label; return how the summary states it."""
        robust, margin = evidence["robust"], evidence["margin"]
        typed(robust, "evidence.robust", (bool, type(None)),
              "true, false or null")
        if margin is not None:
            margin = rational(margin, "evidence.margin")
            if margin <= 0:
                raise Mismatch(f"evidence.margin is {margin}: a margin from "
                               f"ties is above 0")
        if robust is None:
            return "; not labelled robust or tie-dependent"
        if margin is None:
            raise Mismatch(f"evidence.margin is null: robust={_show(robust)}"
                           f" needs the margin it was judged at")
        word = "robust" if robust else "tie-dependent"
        min_gap = _solver_free_min_gap()
        if min_gap is None:
            self.notes.append(
                f"evidence.robust: the label robust={_show(robust)} is not "
                f"re-checked: no solver-free verifier.ties.min_gap here")
            return f"; labelled {word} at margin {margin}, not re-checked"
        try:
            gap = min(min_gap(self.mechanism, self.shape, values),
                      min_gap(self.mechanism, self.shape, bids))
        except Exception as error:  # min_gap cannot read this mechanism
            self.notes.append(
                f"evidence.robust: not re-checked: min_gap raised "
                f"{type(error).__name__}: {error}")
            return f"; labelled {word} at margin {margin}, not re-checked"
        untied = not isinstance(gap, Fraction)  # no comparison was made
        shown = "none, no comparison" if untied else gap
        if untied and robust and self.mechanism.plain:
            raise Mismatch(
                "evidence.robust: true, but no comparison of the plain "
                "mechanism was seen (it may compare untracked copies of the "
                "bids), so robustness cannot be confirmed")
        self.compare("evidence.robust", robust, untied or gap >= margin,
                     f"the smallest gap from a tie is {shown} against "
                     f"margin {margin}, which gives")
        return f"; {word} at margin {margin} (smallest gap {shown})"

    # -------------------------------------------------------- violation

    def check_violation(self, evidence, prop):
        values = self.read_profile(evidence["profile"])
        outcome = self.outcome(values, checked=False)
        if prop not in ("feasibility", "no_positive_transfers"):
            try:
                check_outcome(self.shape, outcome)
            except DsicError as error:
                raise Mismatch(f"evidence.outcome: {error}") from None
        self.same_outcome("evidence.outcome", evidence["outcome"], outcome,
                          f"at {format_profile(values)}")
        facts = violations(prop, self.shape, values, outcome)
        if _canonical(evidence["fact"]) not in facts:
            found = _show(facts[0]) if facts else "no violation"
            self.problems.append(
                f"evidence.fact: certificate says "
                f"{_show(evidence['fact'])}, exact re-evaluation finds "
                f"{found}")
        if self.problems:
            return ""
        return (f"violation of {prop} re-checked exactly at profile "
                f"{format_profile(values)} ({self.mechanism.name}): "
                f"{_show(evidence['fact'])}")

    # ------------------------------------------------- proof and the rest

    def check_smt(self, evidence, prop):
        queries = typed(evidence["queries"], "evidence.queries", (list,),
                        "a list of queries")
        typed(evidence["solver"], "evidence.solver", (str,), "a version")
        margin = evidence["margin"]
        if margin is not None:
            margin = rational(margin, "evidence.margin")
        covered = {self.query(q, f"evidence.queries[{n}]", prop)
                   for n, q in enumerate(queries)}
        needed = self.shape.members() if prop == "dsic" else [None]
        missing = [m for m in needed if m not in covered]
        if missing:
            which = ("the property" if missing[0] is None else
                     f"member {missing[0][1] + 1} of group "
                     f"{missing[0][0] + 1}")
            raise Mismatch(f"evidence.queries: no query for {which}: a "
                           f"proof needs an unsat query for each")
        self.notes.append(
            "the proof rests on the kept SMT-LIB queries; this checker "
            "runs no solver, so re-solve them with any SMT-LIB solver")
        scope = "" if margin is None else (
            f", away from ties only (margin {margin})")
        return (f"proof certificate well formed: {len(queries)} unsat "
                f"queries cover every member{scope}; the proof itself "
                f"rests on the kept SMT-LIB queries, not re-solved here")

    def query(self, data, path, prop):
        fields(data, path, ("group", "member", "smtlib", "result"))
        if not typed(data["smtlib"], f"{path}.smtlib", (str,),
                     "the SMT-LIB text of the query").strip():
            raise Mismatch(f"{path}.smtlib is empty: a proof keeps its "
                           f"query")
        if data["result"] != "unsat":
            raise Mismatch(f"{path}.result is {_show(data['result'])}: a "
                           f"proof needs every query unsat")
        if prop != "dsic" and data["group"] is None:
            return None
        j = index(data["group"], f"{path}.group", self.shape.k, "group")
        i = index(data["member"], f"{path}.member", self.shape.groups[j],
                  "member")
        return (j, i) if prop == "dsic" else None

    def check_sampling(self, evidence, prop):
        counts = typed(evidence["counts"], "evidence.counts", (dict,),
                       "counts by name")
        for name, count in counts.items():
            if typed(count, f"evidence.counts.{name}", (int,),
                     "a whole number") < 0:
                raise Mismatch(f"evidence.counts.{name} is {count}: counts "
                               f"are at least 0")
        tried = ", ".join(f"{count} {name}" for name, count in
                          sorted(counts.items())) or "no counts"
        return (f"no counterexample found by sampling ({tried}): not a "
                f"proof, and there is nothing to re-check")

    def check_unknown(self, evidence, prop):
        reason = typed(evidence["reason"], "evidence.reason", (str,),
                       "a sentence")
        typed(evidence["setting"], "evidence.setting", (str, type(None)),
              "the setting to raise, or null")
        return f"unknown: {reason}; there is nothing to re-check"


# ------------------------------------------------------ exact definitions

def statement(prop, shape, box, tie_rule):
    """The claim of a certificate in words."""
    low, high = box
    domain = f"values in [{low}, {high}]"
    if prop == "dsic":
        domain += ", misreports too"
    return (f"{CLAIMS[prop]}; for {shape.describe()}; {domain}; tie rule: "
            f"{tie_rule}")


def replace_bid(profile_, j, i, new):
    """The profile with member i of group j bidding ``new``."""
    return tuple(tuple(new if (g, m) == (j, i) else b
                       for m, b in enumerate(group))
                 for g, group in enumerate(profile_))


def utility(shape, v, access_row, payment):
    """Value of the accessed items under ``v``, minus ``payment``."""
    values = v if shape.multi_item else (v,)
    got = [x for x, a in zip(values, access_row) if a]
    if shape.valuation == "unit-demand":
        worth = max(got, default=Fraction(0))
    else:
        worth = sum(got, Fraction(0))
    return worth - payment


def violations(prop, shape, values, outcome):
    """Every failing fact of ``prop`` at one exact profile and outcome,
    as JSON-ready dicts with groups, members and items counted from 1."""
    return list(_FACTS[prop](shape, values, outcome))


def _individual_rationality(shape, values, outcome):
    for j, i in shape.members():
        u = utility(shape, values[j][i], outcome.access[j][i],
                    outcome.payments[j][i])
        if u < 0:
            yield {"group": j + 1, "member": i + 1, "utility": str(u)}


def _budget_balance(shape, values, outcome):
    for j in range(shape.k):
        paid = sum(outcome.payments[j], Fraction(0))
        if paid != outcome.charges[j]:
            yield {"group": j + 1, "charge": str(outcome.charges[j]),
                   "payments_sum": str(paid)}


def _no_positive_transfers(shape, values, outcome):
    for j in range(shape.k):
        if outcome.charges[j] < 0:
            yield {"group": j + 1, "charge": str(outcome.charges[j])}
        for i, p in enumerate(outcome.payments[j]):
            if p < 0:
                yield {"group": j + 1, "member": i + 1, "payment": str(p)}


def _feasibility(shape, values, outcome):
    for r in range(shape.items):
        owners = [j + 1 for j in range(shape.k) if outcome.wins[j][r]]
        if len(owners) > 1:
            yield {"item": r + 1, "groups": owners}
    for j, i in shape.members():
        for r in range(shape.items):
            if outcome.access[j][i][r] and not outcome.wins[j][r]:
                yield {"group": j + 1, "member": i + 1, "item": r + 1}


def _equal_treatment(shape, values, outcome):
    for j, size in enumerate(shape.groups):
        for i in range(size):
            for h in range(i + 1, size):
                if values[j][i] != values[j][h]:
                    continue
                if (outcome.access[j][i] != outcome.access[j][h] or
                        outcome.payments[j][i] != outcome.payments[j][h]):
                    members = outcome.to_json()
                    yield {"group": j + 1, "members": [i + 1, h + 1],
                           "access": [members["access"][j][m]
                                      for m in (i, h)],
                           "payments": [members["payments"][j][m]
                                        for m in (i, h)]}


_FACTS = {
    "individual_rationality": _individual_rationality,
    "budget_balance": _budget_balance,
    "no_positive_transfers": _no_positive_transfers,
    "feasibility": _feasibility,
    "equal_treatment": _equal_treatment,
}


# ---------------------------------------------------------------- helpers

def _solver_free_min_gap():
    """verifier.ties.min_gap, if it exists and its code runs no solver."""
    try:
        ties = importlib.import_module("verifier.ties")
    except ImportError:
        return None
    min_gap = getattr(ties, "min_gap", None)
    return min_gap if min_gap is not None and solver_free(ties) else None


def solver_free(module):
    """Whether the source of ``module`` names no solver and imports no
    search module (smt, sampling, shrink, search, symexec)."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, (ast.Attribute, ast.Name)):
            names = [getattr(node, "attr", None) or node.id]
        else:
            continue
        if any(name.split(".")[-1] in _SOLVING for name in names):
            return False
    return True


_SOLVING = {"smt", "sampling", "shrink", "search", "symexec", "Solver",
            "SolverFor", "SimpleSolver", "Optimize", "Tactic"}


def _canonical(data):
    """JSON with every exact-number string written as str(Fraction)."""
    if isinstance(data, list):
        return [_canonical(x) for x in data]
    if isinstance(data, dict):
        return {key: _canonical(x) for key, x in data.items()}
    if isinstance(data, str):
        try:
            return str(Fraction(data))
        except (ValueError, ZeroDivisionError):
            return data
    return data


def _short_hash(digest):
    text = str(digest)
    return text if len(text) <= 16 else text[:12] + "..."


def _bid(b):
    return "(" + ", ".join(map(str, b)) + ")" if isinstance(
        b, tuple) else str(b)


def _show(x):
    """A JSON value, or a Fraction, as a person reads it: 3/2, [1, 2]."""
    text = _render(x)
    return text if len(text) <= 120 else text[:117] + "..."


def _render(x):
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(map(_render, x)) + "]"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{key}: {_render(value)}"
                               for key, value in sorted(x.items())) + "}"
    if isinstance(x, Fraction) or isinstance(x, str) and _is_number(x):
        return str(x)
    return json.dumps(x, default=repr)


def _is_number(text):
    try:
        Fraction(text)
    except (ValueError, ZeroDivisionError):
        return False
    return True
