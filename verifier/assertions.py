"""``assert_dsic``: a DSIC check that fails a test with its witness.

Importing this module is light (no z3, no numpy): the engine is imported
when a check runs. Failures are :class:`DsicViolation`, an AssertionError
whose message is the shrunk counterexample as a small table and the path
of the certificate written for it.
"""

import hashlib
import inspect
import json
import os
import re
import shlex
import time
import warnings
from dataclasses import dataclass
from fractions import Fraction

from .errors import InvalidArgument
from .verdict import UNKNOWN, Box

CERTIFICATE_DIR = "dsic-certificates"
DEFAULTS = {"seed": 0, "engine": "both", "budget": 20_000,
            "timeout": 30.0, "call_timeout": None, "certificate_dir": None}


class DsicViolation(AssertionError):
    """A profitable misreport was found; ``verdict`` holds the witness
    and ``certificate_path`` the file written for it."""

    def __init__(self, message, verdict, certificate_path):
        super().__init__(message)
        self.verdict = verdict
        self.certificate_path = certificate_path


class DsicUnknown(UserWarning):
    """The solver gave up: the check passed without a proof."""


def assert_dsic(mechanism, groups=None, items=None, valuation=None,
                max_value=10, min_value=0, seed=None, engine=None,
                budget=None, timeout=None, call_timeout=None,
                certificate_dir=None):
    """Check that no member of ``mechanism`` gains by misreporting, on the
    shape ``groups`` x ``items`` x ``valuation`` with every value and
    misreport in [``min_value``, ``max_value``]; return the Verdict.

    ``mechanism`` is a catalogue name, ``"module:function"``,
    ``"path/to/file.py:function"``, a Mechanism or catalogue Entry, or a
    plain callable taking a profile. Without ``groups`` a catalogue entry's
    own shape is used, else two groups of one member. ``budget`` is the
    number of misreports sampling tries (default 20000), ``timeout`` the
    solver's seconds per query (default 30), ``call_timeout`` the seconds
    a plain callable may take per profile (default 5, as ``dsic check
    --call-timeout``), ``engine`` one of "sample", "smt", "both"
    (default). Options of the pytest plugin (--dsic-seed, --dsic-budget,
    ...) fill the settings not given here.

    A profitable misreport raises :class:`DsicViolation` naming it and the
    certificate written to ``certificate_dir`` (default: a folder
    ``dsic-certificates`` in the current directory). Otherwise the Verdict
    returned says whether DSIC was proved (``verdict.verified``) or only
    not refuted by sampling; an unknown from the solver also warns.
    """
    __tracebackhide__ = True  # pytest shows the test's line, not this one
    settings = _settings(seed=seed, engine=engine, budget=budget,
                         timeout=timeout, call_timeout=call_timeout,
                         certificate_dir=certificate_dir)
    subject = resolve(mechanism)
    shape = shape_for(subject, groups, items, valuation)
    box = _box(min_value, max_value)

    started = time.perf_counter()
    verdict = _check(subject, shape, box, settings)
    seconds = time.perf_counter() - started
    path = None
    if verdict.refuted:
        path = write_certificate(verdict, settings["certificate_dir"])
    _record(subject, verdict, seconds, path)

    if verdict.refuted:
        raise DsicViolation(describe_failure(verdict, path), verdict, path)
    if verdict.status == UNKNOWN:
        warnings.warn(DsicUnknown(
            f"{subject.label}: no profitable misreport found, but DSIC is "
            f"not proved: {verdict.stop_reason}"), stacklevel=2)
    return verdict


# ------------------------------------------------------------ settings

# The pytest plugin pushes a session here while it is configured: the
# defaults its command-line options set, and a list of checks run.
_sessions = []


class CheckSession:
    """Settings and a record of checks shared by one pytest session."""

    def __init__(self, defaults=None):
        self.defaults = {k: v for k, v in (defaults or {}).items()
                         if v is not None}
        self.checks = []


def push_session(session):
    _sessions.append(session)


def pop_session(session):
    if session in _sessions:
        _sessions.remove(session)


def _settings(**given):
    layered = dict(DEFAULTS)
    if _sessions:
        layered.update(_sessions[-1].defaults)
    layered.update({k: v for k, v in given.items() if v is not None})
    return layered


def _record(subject, verdict, seconds, path):
    if _sessions:
        _sessions[-1].checks.append(
            CheckRecord(subject.label, verdict, seconds, path))


@dataclass
class CheckRecord:
    """One check as the terminal summary lists it."""

    label: str
    verdict: object
    seconds: float
    certificate_path: str = None


# ------------------------------------------------------------- subject

@dataclass
class Subject:
    """The mechanism to check, its catalogue entry if any, the text that
    reloads it for a certificate, and the label shown to a person."""

    mechanism: object
    entry: object
    target: str
    label: str


def resolve(obj, base=None):
    """A :class:`Subject` from a name, a ``module:function`` text, a
    Mechanism, an Entry or a plain callable; a relative ``file.py`` path
    is looked for in the working directory, then in ``base``."""
    from .entry import Entry
    from .mechanism import Mechanism, plain

    if isinstance(obj, Subject):
        return obj
    if isinstance(obj, str):
        from .loading import load_target
        mechanism, entry = load_target(obj, base)
        target = obj if ":" not in obj else _target_of(mechanism) or obj
        return Subject(mechanism, entry, target, obj)
    if isinstance(obj, Entry):
        known = _entry_of(obj.mechanism) is obj
        return Subject(obj.mechanism, obj,
                       obj.name if known else _target_of(obj), obj.name)
    if isinstance(obj, Mechanism):
        entry = _entry_of(obj)
        target = entry.name if entry else _target_of(obj)
        return Subject(obj, entry, target, obj.name)
    if callable(obj):
        mechanism = plain(obj)
        return Subject(mechanism, None, _target_of(obj), mechanism.name)
    raise InvalidArgument(
        f"mechanism={obj!r}: give a catalogue name, 'module:function', "
        f"'file.py:function', a Mechanism, an Entry or a callable")


def _entry_of(mechanism):
    from mechanisms import CATALOGUE
    for entry in CATALOGUE.values():
        if entry.mechanism is mechanism:
            return entry
    return None


def _target_of(obj):
    """``file.py:name`` or ``package.module:name`` that loads ``obj``
    again, or None when no module-level name holds it. A module outside
    any package (a test file, a script) is named by its absolute path, so
    the certificate reloads it from anywhere."""
    for module, name in _homes(obj):
        path = getattr(module, "__file__", None)
        if path and (module.__name__ == "__main__"
                     or not getattr(module, "__package__", None)):
            return f"{os.path.abspath(path)}:{name}"
        if module.__name__ != "__main__":
            return f"{module.__name__}:{name}"
    return None


def _homes(obj):
    """(module, global name) pairs that hold ``obj``, or the function a
    plain mechanism wraps, or an Entry's mechanism."""
    inner = getattr(obj, "mechanism", None)
    held = [obj] + ([inner] if inner is not None else [])
    held += [m.rule for m in held if getattr(m, "plain", False)]
    parts = [p for h in held for p in getattr(h, "parts", ()) or ()]
    seen = set()
    for part in held + parts:
        module = inspect.getmodule(part)
        if module is None or module.__name__ in seen:
            continue
        seen.add(module.__name__)
        for name, value in vars(module).items():
            if any(value is h for h in held):
                yield module, name


def shape_for(subject, groups, items, valuation):
    """The shape to check: what is given, over the catalogue entry's own
    shape (two groups of one member and one item for any other mechanism),
    as ``dsic check`` reads its options."""
    from .model import SINGLE, Shape

    base = subject.entry.shape if subject.entry else Shape((1, 1))
    groups = base.groups if groups is None else groups
    if isinstance(groups, list):
        groups = tuple(groups)
    valuation = valuation or base.valuation
    if items is None:
        items = 1 if valuation == SINGLE else base.items
    return Shape(groups, items, valuation)


def _box(low, high):
    try:
        return Box(Fraction(low), Fraction(high))
    except (TypeError, ValueError):
        raise InvalidArgument(
            f"value box [{low!r}, {high!r}]: min_value and max_value are "
            f"numbers such as 0, 10 or '5/2'") from None


def _check(subject, shape, box, settings):
    from .errors import MechanismError
    from .guard import DEFAULT_CALL_TIMEOUT, CallTimedOut, time_limited
    from .search import check

    seconds = _call_timeout(settings["call_timeout"], DEFAULT_CALL_TIMEOUT)
    mechanism = time_limited(subject.mechanism, seconds,
                             "call_timeout= (or --dsic-call-timeout)")
    try:
        return check(mechanism, shape, box, seed=settings["seed"],
                     engine=settings["engine"], samples=settings["budget"],
                     timeout=settings["timeout"], target=subject.target)
    except CallTimedOut as error:
        raise MechanismError(str(error)) from None


def _call_timeout(seconds, default):
    if seconds is None:
        return default
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) \
            or not 0 < seconds < float("inf"):
        raise InvalidArgument(
            f"call_timeout={seconds!r}: give a positive, finite number of "
            f"seconds a plain mechanism may take per profile")
    return seconds


# --------------------------------------------------------- certificate

def write_certificate(verdict, directory=None):
    """Write the verdict's certificate as JSON under ``directory`` (default
    ``dsic-certificates`` in the current directory); return its path.
    The name holds a hash of the content, so a repeated failure rewrites
    the same file."""
    from .certificate import write

    cert = verdict.certificate
    directory = os.path.abspath(directory or CERTIFICATE_DIR)
    os.makedirs(directory, exist_ok=True)
    text = json.dumps(cert, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", verdict.mechanism).strip("-")
    path = os.path.join(directory, f"{slug or 'mechanism'}-{digest}.json")
    write(path, cert)
    return path


# -------------------------------------------------------------- message

def describe_failure(verdict, path):
    """The failure message: what was checked, the witness as a table,
    the tie rule and where the certificate is."""
    w = verdict.witness
    lines = [f"{verdict.mechanism} is not DSIC on "
             f"{verdict.shape.describe()}, {verdict.box.describe()}", ""]
    lines += ["  " + line for line in witness_table(verdict.shape, w)]
    lines.append("")
    for result in verdict.results:
        detail = f" ({result.detail})" if result.detail else ""
        lines.append(f"{result.status}: {result.statement}{detail}")
    lines.append(f"tie rule: {verdict.tie_rule}")
    if path:
        lines.append(f"certificate: {path}")
        lines.append(f"re-check it with: dsic verify-cert "
                     f"{shlex.quote(path)}")
    return "\n".join(lines)


def witness_table(shape, w):
    """Rows of the witness: who, true value, misreport, both outcomes and
    the gain, in exact numbers."""
    from .deviation import deviate
    from .report import items, member, number

    deviated = deviate(w.profile, w.group, w.member, w.misreport)
    j, i = w.group, w.member
    rows = [
        ("who", member(j, i), ""),
        ("true value", number(w.value), ""),
        ("misreport", number(w.misreport), ""),
        ("", "truthful", "misreport"),
        ("bids", _profile(w.profile), _profile(deviated)),
        ("items won", _wins(w.truthful), _wins(w.deviated)),
        ("its access", items(w.truthful.access[j][i]),
         items(w.deviated.access[j][i])),
        ("it pays", number(w.truthful.payments[j][i]),
         number(w.deviated.payments[j][i])),
        ("its utility", number(w.utility_truthful),
         number(w.utility_deviated)),
        ("gain", f"{number(w.gain)}{_robustness(w)}", ""),
    ]
    first = max(len(row[0]) for row in rows)
    second = max(len(row[1]) for row in rows if row[2])
    return [f"{a:<{first}}  {b:<{second}}  {c}".rstrip()
            for a, b, c in rows]


def _robustness(w):
    if w.robust is None:
        return ""
    if w.robust:
        return f" (robust: no comparison within {w.margin} of a tie)"
    return f" (tie-dependent: some comparison within {w.margin} of a tie)"


def _profile(profile):
    from .report import number
    return "[" + "; ".join(", ".join(number(b) for b in group)
                           for group in profile) + "]"


def _wins(outcome):
    from .report import items
    if len(outcome.wins[0]) == 1:
        said = [f"group {j + 1}" for j, row in enumerate(outcome.wins)
                if row[0]]
    else:
        said = [f"group {j + 1}: {items(row)}"
                for j, row in enumerate(outcome.wins) if any(row)]
    return "; ".join(said) or "none"
