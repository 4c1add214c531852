"""The pytest plugin: the ``dsic`` marker, its options and a summary.

Registered through the ``pytest11`` entry point ``dsic``. Loading it
imports neither z3 nor numpy: the engine is imported when a check runs.

    @pytest.mark.dsic("vickrey", groups=(1, 1, 1))
    def test_vickrey_is_truthful():
        pass

makes the test a DSIC check of the mechanism it names (a catalogue name,
``"module:function"``, ``"file.py:function"``, a Mechanism or a callable);
it fails with the witness when some member gains by misreporting. Inside a
test, :func:`verifier.assert_dsic` does the same with the Verdict returned.
The Hypothesis strategies of :mod:`verifier.strategies` are available here
as ``shapes``, ``profiles`` and ``misreports``.
"""

import os

import pytest

from .verdict import NONE_FOUND, UNKNOWN

ENGINES = ("sample", "smt", "both")
MARKER_HELP = (
    "dsic(target, groups=None, items=None, valuation=None, max_value=10, "
    "min_value=0, seed=None, engine=None, budget=None, timeout=None, "
    "call_timeout=None, certificate_dir=None): check that the mechanism "
    "named by target (catalogue name, 'module:function', 'file.py:function' "
    "or object) is DSIC; the test fails with a profitable misreport if one "
    "is found")
MARKER_KEYWORDS = ("groups", "items", "valuation", "max_value", "min_value",
                   "seed", "engine", "budget", "timeout", "call_timeout",
                   "certificate_dir")
STRATEGIES = ("shapes", "profiles", "misreports")

_SESSION = pytest.StashKey()
_CHECKS = pytest.StashKey()
_CHECKING = pytest.StashKey()


def __getattr__(name):
    if name in STRATEGIES:
        from . import strategies
        return getattr(strategies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------- options

def pytest_addoption(parser):
    group = parser.getgroup("dsic", "dsic: DSIC checks of mechanisms")
    group.addoption(
        "--dsic-seed", type=int, default=None, metavar="N",
        help="seed of the sampling phase of every DSIC check (default 0)")
    group.addoption(
        "--dsic-budget", type=int, default=None, metavar="N",
        help="misreports each DSIC check samples (default 20000)")
    group.addoption(
        "--dsic-engine", choices=ENGINES, default=None,
        help="sample, smt or both (default both: sample, then ask the "
             "solver for a proof)")
    group.addoption(
        "--dsic-timeout", type=float, default=None, metavar="SECONDS",
        help="solver time per query of a DSIC check (default 30)")
    group.addoption(
        "--dsic-call-timeout", type=float, default=None, metavar="SECONDS",
        help="time a plain-Python mechanism may take per profile, as dsic "
             "check --call-timeout (default 5)")
    group.addoption(
        "--dsic-certificates", default=None, metavar="DIR",
        help="where failing DSIC checks write their certificates "
             "(default ./dsic-certificates)")


def pytest_configure(config):
    from .assertions import CheckSession, push_session

    config.addinivalue_line("markers", MARKER_HELP)
    budget = config.getoption("dsic_budget")
    timeout = config.getoption("dsic_timeout")
    call_timeout = config.getoption("dsic_call_timeout")
    if budget is not None and budget < 1:
        raise pytest.UsageError(
            f"--dsic-budget {budget}: the sampling budget is a whole number "
            f"of misreports, at least 1")
    for option, seconds in (("--dsic-timeout", timeout),
                            ("--dsic-call-timeout", call_timeout)):
        if seconds is not None and not 0 < seconds < float("inf"):
            raise pytest.UsageError(
                f"{option} {seconds:g}: give a positive, finite number of "
                f"seconds")
    session = CheckSession({
        "seed": config.getoption("dsic_seed"),
        "budget": budget,
        "engine": config.getoption("dsic_engine"),
        "timeout": timeout,
        "call_timeout": call_timeout,
        "certificate_dir": config.getoption("dsic_certificates"),
    })
    config.stash[_SESSION] = session
    push_session(session)


def pytest_unconfigure(config):
    from .assertions import pop_session

    session = config.stash.get(_SESSION, None)
    if session is not None:
        pop_session(session)


# -------------------------------------------------------------- marker

def pytest_collection_modifyitems(session, config, items):
    """Read every dsic marker once, before any test runs; a bad one is a
    usage error naming the test and the argument."""
    for item in items:
        marks = list(item.iter_markers("dsic"))
        if marks:
            item.stash[_CHECKS] = [_read_marker(item, m) for m in marks]


@pytest.hookimpl(trylast=True)
def pytest_runtest_call(item):
    """After the test body, run the DSIC checks its markers ask for."""
    from .assertions import assert_dsic

    for subject, options in item.stash.get(_CHECKS, ()):
        item.stash[_CHECKING] = subject.label
        assert_dsic(subject, **options)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Show a marker's failure as its message alone: the traceback runs
    through this plugin, not through the test."""
    from .assertions import DsicViolation
    from .errors import DsicError

    outcome = yield
    report = outcome.get_result()
    label = item.stash.get(_CHECKING, None)
    if call.when != "call" or call.excinfo is None or label is None:
        return
    error = call.excinfo.value
    if isinstance(error, DsicViolation):
        report.longrepr = str(error)
    elif isinstance(error, DsicError):
        report.longrepr = (f"@pytest.mark.dsic could not check {label}: "
                           f"{type(error).__name__}: {error}")


def _read_marker(item, mark):
    from .assertions import resolve, shape_for
    from .errors import DsicError

    def usage(problem):
        return pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.dsic: {problem}")

    target, options = _marker_arguments(mark, usage)
    try:
        subject = resolve(target, base=os.path.dirname(str(item.path)))
        shape = shape_for(subject, options.pop("groups", None),
                          options.pop("items", None),
                          options.pop("valuation", None))
        subject.mechanism.accepts(shape)
    except DsicError as error:
        raise usage(str(error)) from None
    options.update(groups=shape.groups, items=shape.items,
                   valuation=shape.valuation)
    return subject, options


def _marker_arguments(mark, usage):
    kwargs = dict(mark.kwargs)
    args = list(mark.args)
    if "target" in kwargs:
        args.insert(0, kwargs.pop("target"))
    if len(args) != 1:
        raise usage(
            f"got {len(args)} positional arguments {args!r}: give exactly "
            f"one mechanism, e.g. @pytest.mark.dsic('vickrey')")
    unknown = sorted(set(kwargs) - set(MARKER_KEYWORDS))
    if unknown:
        raise usage(
            f"unknown keyword {unknown[0]!r}: use "
            f"{', '.join(MARKER_KEYWORDS)}")
    engine = kwargs.get("engine")
    if engine is not None and engine not in ENGINES:
        raise usage(f"engine={engine!r}: use one of {', '.join(ENGINES)}")
    return args[0], kwargs


# ------------------------------------------------------------- summary

def pytest_terminal_summary(terminalreporter, exitstatus, config):
    session = config.stash.get(_SESSION, None)
    if session is None or not session.checks:
        return
    terminalreporter.write_sep("=", "dsic checks")
    for line in summary_lines(session.checks):
        terminalreporter.write_line(line)


def summary_lines(checks):
    """One line per check: mechanism, shape, box, verdict, seconds."""
    rows = []
    for record in checks:
        verdict = record.verdict
        status = verdict.status
        if status == NONE_FOUND:
            status += " (sampling only)"
        elif status == UNKNOWN:
            status += " (the solver gave up; raise --dsic-timeout)"
        rows.append((record.label, _groups(verdict.shape),
                     f"[{verdict.box.low}, {verdict.box.high}]", status,
                     f"{record.seconds:.2f} s"))
    width = [max(len(row[c]) for row in rows) for c in range(4)]
    return ["  ".join(f"{cell:<{width[c]}}" for c, cell in
                      enumerate(row[:4])) + "  " + row[4] for row in rows]


def _groups(shape):
    text = "groups (" + ", ".join(map(str, shape.groups)) + ")"
    if shape.multi_item:
        text += f" x {shape.items} {shape.valuation}"
    return text
