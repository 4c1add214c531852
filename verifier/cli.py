"""The `dsic` command.

    dsic check TARGET        decide whether TARGET is DSIC
    dsic check TARGET --property NAME
                             ... or has another property (budget balance...)
    dsic list                the catalogue: claims and what dsic established
    dsic show NAME           one mechanism's definition
    dsic verify-cert FILE    re-check a certificate, exactly
    dsic report CERT -o FILE a Markdown or HTML report from a certificate
    dsic reproduce [--check] the paper's claims as checked certificates

A bad input ends in one line on stderr naming the value and the fix, and
exit code 2; --debug adds the traceback.
"""

import argparse
import contextlib
import inspect
import json
import os
import sys
import traceback
from fractions import Fraction

import mechanisms
from mechanisms.establish import established, summary

from . import __version__, certificate, checker, report
from .errors import DsicError, InvalidArgument, InvalidOutcome
from .guard import (
    DEFAULT_CALL_TIMEOUT, CallTimedOut, preflight, time_limited,
)
from .loading import load_target
from .mechanism import exit_call
from .model import SINGLE, VALUATIONS, Shape
from .numbers import BranchOnBid
from .progress import Bar
from .property_search import UNCHECKED
from .search import (
    DEFAULT_MARGIN, DEFAULT_PATHS, DEFAULT_SAMPLES, DEFAULT_TIMEOUT, ENGINES,
    PROPERTIES, check, check_property,
)
from .verdict import Box

EXIT_CODES_HELP = """\
exit codes:
  0  no counterexample: proved by the solver, or only sampled (the output
     says which); for verify-cert and report, the certificate holds
  1  refuted: a profitable misreport (with --property, a profile where the
     property fails), re-checked exactly; for verify-cert
     and report, the certificate was rejected
  2  usage or loading error (one line on stderr)
  3  unknown: the solver gave up; the output names the setting to raise
"""

DEFAULT_BOX = (Fraction(0), Fraction(10))
PROPERTY_OPTIONS = ("dsic",) + tuple(p.replace("_", "-") for p in PROPERTIES)
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class UsageError(DsicError):
    """The command line itself is wrong: an unknown option, a missing
    argument."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


# ------------------------------------------------------------ the parser

def parser():
    top = _Parser(
        prog="dsic", epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Decide whether an auction or cost-sharing mechanism "
                    "is dominant-strategy incentive compatible (DSIC), and "
                    "get an exact profitable misreport when it is not.")
    top.add_argument("--version", action="version",
                     version=f"dsic {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    _check_parser(commands)
    listing = _sub(commands, "list", "the catalogue: each entry, its "
                   "claims and what dsic established")
    listing.set_defaults(run=run_list)
    show = _sub(commands, "show", "one mechanism's definition: docstring, "
                "tie rule, source, claims, default shape")
    show.add_argument("name", metavar="NAME",
                      help="catalogue name or file.py:function")
    show.set_defaults(run=run_show)
    verify = _sub(commands, "verify-cert", "re-check a certificate with "
                  "exact arithmetic and the mechanism only")
    verify.add_argument("file", metavar="FILE")
    verify.add_argument("--no-prove", action="store_true",
                        help="for a proof, skip proving the claim again "
                             "from the mechanism with z3; only the "
                             "solver-free check runs")
    verify.add_argument("--solve", action="store_true",
                        help="also re-solve a proof's kept SMT-LIB queries "
                             "with z3 (outside the independent checker)")
    verify.set_defaults(run=run_verify)
    rep = _sub(commands, "report", "write a Markdown or HTML report of a "
               "stored certificate")
    rep.add_argument("cert", metavar="CERT")
    rep.add_argument("-o", "--output", required=True, metavar="FILE",
                     help="report file: .md (plot beside it as .svg) or "
                          ".html (self-contained)")
    rep.set_defaults(run=run_report)
    again = _sub(commands, "reproduce", "rebuild the certificates of the "
                 "paper's claims (proofs/), or re-check the stored ones")
    again.add_argument("--check", action="store_true",
                       help="only re-check the stored certificates, with "
                            "exact arithmetic and no solver")
    again.set_defaults(run=run_reproduce)
    return top


def _sub(commands, name, text):
    sub = commands.add_parser(
        name, help=text, description=text, epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub.add_argument("--debug", action="store_true",
                     help="print tracebacks of errors")
    return sub


def _check_parser(commands):
    check = _sub(commands, "check", "decide whether a mechanism is DSIC, "
                 "or has another property (--property)")
    check.add_argument(
        "target", metavar="TARGET",
        help="catalogue name (see `dsic list`), path/to/file.py:function "
             "or package.module:function")
    check.add_argument(
        "--property", metavar="NAME", default="dsic",
        help=f"the property to decide, one of {', '.join(PROPERTY_OPTIONS)}"
             f" (default dsic; underscores work too); a refutation of any "
             f"but dsic is a profile where it fails")
    shape = check.add_argument_group(
        "shape (default: a catalogue entry's own; otherwise two groups of "
        "one member, one item)")
    shape.add_argument("--groups", metavar="N,N,...",
                       help="members per group, e.g. 2,3")
    shape.add_argument("--items", metavar="M", help="number of items")
    shape.add_argument("--valuation", choices=VALUATIONS)
    box = check.add_argument_group("value box (values and misreports)")
    box.add_argument("--min-value", metavar="L", default="0",
                     help="lowest value, an exact number (default 0)")
    box.add_argument("--max-value", metavar="V", default="10",
                     help="highest value, e.g. 10 or 21/2 (default 10)")
    search = check.add_argument_group("search")
    search.add_argument("--engine", choices=ENGINES, default="both",
                        help="sampling, the solver or both (default both)")
    search.add_argument("--seed", default="0",
                        help="sampling seed (default 0)")
    search.add_argument("--samples", metavar="N", default=str(
        DEFAULT_SAMPLES), help=f"sampling budget in misreports, in profiles "
                               f"for --property other than dsic (default "
                               f"{DEFAULT_SAMPLES})")
    search.add_argument("--timeout", metavar="S", default=str(
        DEFAULT_TIMEOUT), help=f"seconds per solver query (default "
                               f"{DEFAULT_TIMEOUT:g})")
    search.add_argument("--margin", metavar="M", default=str(DEFAULT_MARGIN),
                        help=f"tie margin: a witness is robust when every "
                             f"comparison stays M from a tie (default "
                             f"{DEFAULT_MARGIN})")
    search.add_argument("--regret", action="store_true",
                        help="also find, with the solver, the largest gain "
                             "any member can get in the box, exactly")
    search.add_argument("--paths", metavar="N", default=str(DEFAULT_PATHS),
                        help=f"paths symbolic execution explores in a "
                             f"plain-Python mechanism (default "
                             f"{DEFAULT_PATHS})")
    search.add_argument("--call-timeout", metavar="S",
                        default=str(DEFAULT_CALL_TIMEOUT),
                        help=f"seconds a plain-Python mechanism may take "
                             f"per profile (default {DEFAULT_CALL_TIMEOUT:g})")
    out = check.add_argument_group("output")
    out.add_argument("--json", action="store_true",
                     help="print the verdict as JSON")
    out.add_argument("--report", metavar="FILE",
                     help="also write a report, .md or .html")
    out.add_argument("--certificate", metavar="FILE",
                     help="also write the certificate (JSON)")
    out.add_argument("-v", "--verbose", action="store_true",
                     help="per-phase counts and times")
    check.set_defaults(run=run_check)


# ---------------------------------------------------------- entry point

def main(argv=None):
    """Run the `dsic` command; return its exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        try:
            args = parser().parse_args(argv)
        except SystemExit as done:      # --help, --version
            return done.code or 0
        return args.run(args)
    except SystemExit as error:         # not dsic's to end the run
        return _fail(f"{_exited_at(error)} stopped the run: a mechanism "
                     f"returns an outcome; raise an exception instead of "
                     f"exiting", debug)
    except KeyboardInterrupt:
        return _fail("interrupted", debug, code=130)
    except BrokenPipeError:             # e.g. `dsic list | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (DsicError, CallTimedOut, BranchOnBid) as error:
        return _fail(str(error), debug)
    except Exception as error:
        return _fail(f"internal error: {type(error).__name__}: {error} "
                     f"(rerun with --debug for the traceback)", debug)


def _exited_at(error):
    """``sys.exit(3) at rules.py:12``: the innermost call of sys.exit."""
    frames = traceback.extract_tb(error.__traceback__)
    outside = [f for f in frames if not f.filename.startswith(_PACKAGE)]
    place = (f" at {os.path.basename(outside[-1].filename)}:"
             f"{outside[-1].lineno}" if outside else "")
    return exit_call(error) + place


def _fail(message, debug, code=2):
    if debug:
        traceback.print_exc()
    print(f"dsic: error: {' '.join(message.split())}", file=sys.stderr)
    return code


# ----------------------------------------------------------------- check

def run_check(args):
    """dsic check: load, check, print, write the files asked for."""
    settings = check_settings(args)
    for path in (args.report, args.certificate):
        _check_writable(path)
    if args.report:
        report.report_suffix(args.report)

    with _mechanism_output(args):
        verdict, mechanism = _run_check(args, settings)
    _print_verdict(args, verdict)
    with _mechanism_output(args):
        _write_outputs(args, verdict, mechanism)
    return report.EXIT_CODES[verdict.status]


def _run_check(args, settings):
    """The verdict on the target, and the mechanism, time-limited."""
    mechanism, entry = load_target(args.target)
    shape = shape_for(args, entry)
    mechanism.accepts(shape)
    mechanism = time_limited(mechanism, settings.pop("call_timeout"))
    box, prop = settings.pop("box"), settings.pop("prop")
    _preflight(mechanism, shape, box, prop)

    bar = Bar("sampling")
    try:
        if prop == "dsic":
            verdict = check(mechanism, shape, box, target=args.target,
                            progress=bar, regret=args.regret, **settings)
        else:
            if args.regret:
                raise InvalidArgument(
                    f"--regret with --property {args.property}: regret is "
                    f"the gain from misreporting, a DSIC measure; drop one")
            del settings["margin"]      # ties matter to DSIC witnesses only
            verdict = check_property(mechanism, shape, box, prop,
                                     target=args.target, progress=bar,
                                     **settings)
    finally:
        bar.close()
    return verdict, mechanism


def _mechanism_output(args):
    """With --json, what the mechanism prints goes to stderr, so that
    stdout holds the JSON verdict alone."""
    if args.json:
        return contextlib.redirect_stdout(sys.stderr)
    return contextlib.nullcontext()


def _preflight(mechanism, shape, box, prop):
    """:func:`~verifier.guard.preflight`, except that an outcome refused
    for the very failure ``prop`` is about (an item won twice, a negative
    payment) is left for the check to find and certify."""
    try:
        preflight(mechanism, shape, box)
    except InvalidOutcome:
        if prop not in UNCHECKED:
            raise


def _print_verdict(args, verdict):
    if args.json:
        print(json.dumps(report.to_json(verdict), indent=2, sort_keys=True))
    else:
        sys.stdout.write(report.terminal(verdict, verbose=args.verbose))
        if args.verbose:
            total = sum(p.seconds for p in verdict.phases)
            print(f"  total {total:.2f} s in {len(verdict.phases)} phases")


def _write_outputs(args, verdict, mechanism):
    said = []
    if args.certificate:
        certificate.write(args.certificate, verdict.certificate)
        said.append(f"certificate: {args.certificate}")
    if args.report:
        paths = report.write_report(args.report, verdict, mechanism)
        said.append("report: " + ", ".join(paths))
    if said and not args.json:
        print("\n" + "\n".join(said))


def check_settings(args):
    """The numbers of a check, read exactly; InvalidArgument names the
    option, the value and the rule."""
    low = exact_option("--min-value", args.min_value, allow_zero=True)
    high = exact_option("--max-value", args.max_value)
    if high <= low:
        raise InvalidArgument(
            f"--min-value {low} --max-value {high}: the value box is empty; "
            f"make --max-value larger than --min-value")
    return {
        "box": Box(low, high),
        "prop": property_option(args.property),
        "engine": args.engine,
        "seed": whole_option("--seed", args.seed, least=0),
        "samples": whole_option("--samples", args.samples, least=1),
        "timeout": seconds_option("--timeout", args.timeout),
        "margin": exact_option("--margin", args.margin),
        "paths": whole_option("--paths", args.paths, least=1),
        "call_timeout": seconds_option("--call-timeout", args.call_timeout),
    }


def property_option(text):
    """The property named on the command line, as verifier names it:
    ``budget-balance`` (or ``budget_balance``) -> ``budget_balance``."""
    name = text.strip().lower().replace("-", "_")
    if name != "dsic" and name not in PROPERTIES:
        raise InvalidArgument(
            f"--property {text!r} is not a property dsic checks: use one "
            f"of {', '.join(PROPERTY_OPTIONS)}")
    return name


def exact_option(option, text, allow_zero=False):
    """An exact number given as 3, 2.5 or 7/2; positive unless
    ``allow_zero``."""
    try:
        q = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise InvalidArgument(
            f"{option} {text!r} is not a number: write e.g. 10, 2.5 or "
            f"21/2") from None
    rule = "at least 0" if allow_zero else "above 0"
    if q < 0 or (q == 0 and not allow_zero):
        raise InvalidArgument(f"{option} {text}: must be {rule}")
    return q


def whole_option(option, text, least):
    try:
        n = int(text.strip().replace("_", ""))
    except ValueError:
        raise InvalidArgument(
            f"{option} {text!r} is not a whole number: write e.g. "
            f"{max(least, 1) * 1000}") from None
    if n < least:
        raise InvalidArgument(f"{option} {n}: must be at least {least}")
    return n


def seconds_option(option, text):
    try:
        s = float(text)
    except ValueError:
        raise InvalidArgument(
            f"{option} {text!r} is not a number of seconds: write e.g. "
            f"30") from None
    if not 0 < s < float("inf"):
        raise InvalidArgument(
            f"{option} {text}: give a positive, finite number of seconds")
    return s


def shape_for(args, entry):
    """The shape to check: the options given, over the entry's own shape
    (or two groups of one member and one item for a file target)."""
    base = entry.shape if entry is not None else Shape((1, 1))
    groups = base.groups if args.groups is None else groups_option(
        args.groups)
    valuation = args.valuation or base.valuation
    if args.items is not None:
        items = whole_option("--items", args.items, least=1)
    else:
        items = 1 if valuation == SINGLE else base.items
    if items > 1 and valuation == SINGLE:
        raise InvalidArgument(
            f"--items {items} with single valuations: the single class has "
            f"one item; add --valuation additive or --valuation unit-demand")
    return Shape(groups, items, valuation)


def groups_option(text):
    """``2,3`` -> (2, 3): members per group, each at least 1."""
    parts = [p.strip() for p in text.split(",")]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise InvalidArgument(
            f"--groups {text!r}: give whole group sizes separated by "
            f"commas, e.g. --groups 2,1") from None
    if any(size < 1 for size in sizes):
        raise InvalidArgument(
            f"--groups {text}: every group has at least 1 member, e.g. "
            f"--groups 2,1")
    return sizes


def _check_writable(path):
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidArgument(
            f"cannot write {path!r}: no folder {folder!r}; create it first "
            f"or write elsewhere")
    if os.path.isdir(path):
        raise InvalidArgument(
            f"cannot write {path!r}: it is a folder; give a file name")


# ------------------------------------------------------- list and show

def run_list(args):
    """One line per catalogue entry."""
    rows = [(e.name, e.summary, f"claims: {e.describe_claims()}",
             f"dsic found: {summary(established(e.name))}")
            for e in mechanisms.ENTRIES]
    widths = [max(len(row[c]) for row in rows) for c in range(2)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  "
              f"{row[2]}; {row[3]}")
    return 0


def run_show(args):
    """The definition of one mechanism."""
    mechanism, entry = load_target(args.name)
    lines = []
    if entry is not None:
        lines += [f"{entry.name}: {entry.summary}",
                  f"source: {entry.source}",
                  f"claims: {entry.describe_claims()}",
                  f"dsic established: {summary(established(entry.name))}",
                  f"default shape: {entry.shape.describe()} "
                  f"({shape_options(entry.shape)})"]
    else:
        lines.append(f"{mechanism.name}: plain Python, sampled and read "
                     f"by symbolic execution" if mechanism.plain
                     else mechanism.name)
    lines.append(f"valuations: {', '.join(mechanism.valuations)}")
    lines.append(f"tie rule: {mechanism.tie_rule}")
    lines.append(f"code: {code_places(mechanism)}")
    doc = mechanism.doc.strip() or "(no docstring)"
    print("\n".join(lines) + "\n\n" + doc)
    return 0


def shape_options(shape):
    """The `dsic check` options that give ``shape``."""
    text = f"--groups {','.join(map(str, shape.groups))}"
    if shape.multi_item:
        text += f" --items {shape.items} --valuation {shape.valuation}"
    return text


def code_places(mechanism):
    """Where the functions that define ``mechanism`` live."""
    places = []
    for part in mechanism.parts or (mechanism.rule,):
        try:
            path = os.path.relpath(inspect.getsourcefile(part))
            line = inspect.getsourcelines(part)[1]
        except (OSError, TypeError):
            continue
        places.append(f"{part.__name__} ({path}:{line})")
    return ", ".join(places) or "not available"


# ------------------------------------------------- certificates, reports

def run_verify(args):
    """dsic verify-cert: the independent checker's word on a file."""

    cert = _load_certificate(args.file)
    result = checker.check_certificate(
        cert, base=os.path.dirname(os.path.abspath(args.file)))
    print(result.summary)
    for problem in result.problems[1:]:
        print(f"  also: {problem}")
    for note in result.notes:
        print(f"  note: {note}")
    if result.ok and cert.get("evidence", {}).get("kind") == "smt":
        if args.no_prove:
            print("  the proof itself was not re-checked (--no-prove)")
        elif not _reprove(cert, args.file):
            return 1
    if args.solve and result.ok:
        _resolve(cert)
    return 0 if result.ok else 1


def _reprove(cert, path):
    """Prove the claim again from the mechanism; whether every fresh query
    is unsat."""
    answers = certificate.reprove(
        cert, base=os.path.dirname(os.path.abspath(path)))
    held = sum(answer == "unsat" for _, _, answer in answers)
    print(f"  re-proved from the mechanism with z3, beside the solver-free "
          f"check: {held} of {len(answers)} fresh queries unsat")
    if held < len(answers):
        print("  proof rejected: the claim does not hold for the mechanism "
              "as it is now")
    return held == len(answers)


def _load_certificate(path):
    if os.path.isdir(path):
        raise InvalidArgument(
            f"{path!r} is a folder, not a certificate: give the path of a "
            f"certificate file written by dsic")
    return certificate.load(path)


def _resolve(cert):

    if cert.get("evidence", {}).get("kind") != "smt":
        print("  --solve: this certificate keeps no solver queries")
        return
    for group, member, answer in certificate.resolve_queries(cert):
        print(f"  z3 now answers {answer} for member {member} of group "
              f"{group}")


def run_report(args):
    """dsic report: a report from a stored certificate."""
    report.report_suffix(args.output)
    _check_writable(args.output)
    cert = _load_certificate(args.cert)
    base = os.path.dirname(os.path.abspath(args.cert))
    checked = checker.check_certificate(cert, base=base)
    verdict = report.verdict_from_certificate(cert)
    try:
        mechanism, _ = load_target(cert["mechanism"]["target"], base=base)
    except DsicError:
        mechanism = None
    if mechanism is not None:
        mechanism = time_limited(mechanism, DEFAULT_CALL_TIMEOUT)
    said = (f"checker: {checked.summary}" if checked.ok else
            f"THE CHECKER REJECTED THIS CERTIFICATE: {checked.summary}")
    paths = report.write_report(args.output, verdict, mechanism, said)
    print(said)
    print("report: " + ", ".join(paths))
    return 0 if checked.ok else 1




# ------------------------------------------------------------- reproduce

def run_reproduce(args):
    """dsic reproduce: one line per claim of the paper, then what was
    checked and within which bounds; exit 1 if a certificate fails."""
    import proofs

    if args.check:
        rows = proofs.check_all()
    else:
        bar = Bar("claims")
        try:
            rows = proofs.reproduce(progress=bar)
        finally:
            bar.close()
    for row in rows:
        print(f"{row['claim']:<12} {row['reference']}")
        print(f"  result   {row['result']}")
        print(f"  checked  {row['checked']}")
        print(f"  bounds   {row['bounds']}")
        print(f"  time     {row['seconds']:.2f} s")
        for problem in row.get("problems", []):
            print(f"  problem  {problem}")
    failed = [row["claim"] for row in rows if row.get("problems")]
    verb = "re-checked" if args.check else "rebuilt"
    print(f"\n{len(rows) - len(failed)} of {len(rows)} certificates "
          f"{verb} and accepted" + (f"; rejected: {', '.join(failed)}"
                                    if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
