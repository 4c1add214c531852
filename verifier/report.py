"""Reports of a verdict: terminal text, Markdown, HTML and JSON.

Every format renders one document, built once by :func:`document`: the
verdict first; then the witness in exact numbers (who deviates, its value
and misreport, both outcomes side by side, utilities, gain, robust or
tie-dependent, the tie rule), or for another property than DSIC the
violation (the profile, its outcome, the failing fact in words); then the
domain and what else was proved; then the line saying why the check
stopped, and the phases' counts and times. The HTML page is
self-contained: inline CSS, an inline SVG plot of the deviator's utility
(:mod:`verifier.plot`), every string escaped.
"""

import os
import textwrap
from dataclasses import dataclass
from fractions import Fraction
from html import escape

from .entry import PROPERTY_NAMES
from .errors import DsicError
from .files import write_atomic
from .verdict import NONE_FOUND, REFUTED, UNKNOWN, VERIFIED

EXIT_CODES = {VERIFIED: 0, NONE_FOUND: 0, REFUTED: 1, UNKNOWN: 3}


# ------------------------------------------------------------ the blocks

@dataclass
class Heading:
    text: str


@dataclass
class Para:
    text: str


@dataclass
class Table:
    """Rows of cells; ``header`` is None for a two-column listing."""

    header: tuple
    rows: list


@dataclass
class Stop:
    """The line saying why the check stopped."""

    text: str


@dataclass
class Figure:
    svg: str
    caption: str


# ----------------------------------------------------------- the content

def title(verdict):
    """The verdict in a few words."""
    name, prop = verdict.mechanism, PROPERTY_NAMES.get(
        verdict.prop, verdict.prop)
    if verdict.prop != "dsic":
        return {
            REFUTED: f"{name} violates {prop}",
            VERIFIED: f"{name} satisfies {prop} on this domain",
            NONE_FOUND: f"{name} showed no violation of {prop} when "
                        f"sampled",
            UNKNOWN: f"whether {name} satisfies {prop} is undecided",
        }[verdict.status]
    return {
        REFUTED: f"{name} is not {prop}",
        VERIFIED: f"{name} is {prop} on this domain",
        NONE_FOUND: f"{name} showed no profitable misreport when sampled",
        UNKNOWN: f"whether {name} is {prop} is undecided",
    }[verdict.status]


def headline(verdict):
    """The first lines: the verdict and what it rests on."""
    status = verdict.status.upper()
    lines = [f"{status}: {title(verdict)}"]
    w = verdict.witness
    if verdict.prop != "dsic":
        return lines + [_property_headline(verdict)]
    if verdict.status == REFUTED and w is not None:
        lines.append(f"{member(w.group, w.member)} gains {w.gain} by "
                     f"bidding {number(w.misreport)} instead of its value "
                     f"{number(w.value)}")
    elif verdict.status == VERIFIED:
        lines.append("the solver proved that no member gains by misreporting"
                     " (every query unsat)")
    elif verdict.status == NONE_FOUND:
        lines.append(f"sampling only, not a proof: {_tried(verdict)}")
    else:
        lines.append(_undecided(verdict))
    return lines


def _property_headline(verdict):
    v, prop = verdict.witness, PROPERTY_NAMES.get(verdict.prop,
                                                  verdict.prop)
    if verdict.status == REFUTED and v is not None:
        return (f"{fact_words(verdict.prop, v.fact)}, at profile "
                f"{profile_words(v.profile)}")
    if verdict.status == VERIFIED:
        return (f"the solver proved {prop} at every profile in the box "
                f"(its query unsat)")
    if verdict.status == NONE_FOUND:
        return f"sampling only, not a proof: {_tried(verdict)}"
    return _undecided(verdict)


def _undecided(verdict):
    if "--paths" in verdict.stop_reason:
        return ("symbolic execution ran out of paths before an answer; see "
                "the stop line")
    return "the solver gave up before an answer; see the stop line"


def _tried(verdict):
    counts = {}
    for phase in verdict.phases:
        if phase.name == "sampling":
            counts = phase.counts
    if not counts:
        return "nothing was tried"
    if verdict.prop != "dsic":
        return (f"{counts.get('profiles', 0)} profiles tried, "
                f"{counts.get('rechecked_exactly', 0)} of them re-checked "
                f"exactly")
    return (f"{counts.get('profiles', 0)} profiles and "
            f"{counts.get('misreports', 0)} misreports tried")


def document(verdict, plot=None, checked=None):
    """The blocks of a report. ``plot`` is the SVG of the deviator's
    utility, or a sentence saying why there is none; ``checked`` the
    checker's summary when the report comes from a certificate."""
    blocks = [Para(line) for line in headline(verdict)]
    if checked:
        blocks.append(Para(checked))
    w = verdict.witness
    if w is not None and verdict.prop != "dsic":
        blocks += violation_blocks(verdict)
    elif w is not None:
        blocks += [Heading("Witness (exact numbers)"),
                   Table(None, [("deviator", member(w.group, w.member)),
                                ("true value", number(w.value)),
                                ("misreport", number(w.misreport))]),
                   Table(("", "truthful", "with the misreport"),
                         outcome_rows(verdict.shape, w)),
                   Table(None, [("gain", str(w.gain)),
                                ("ties", robustness(w)),
                                ("tie rule", verdict.tie_rule)])]
    if plot is not None:
        blocks += [Heading("Its utility as its bid varies"), plot]
    blocks += [Heading("Domain and side results"),
               Table(None, domain_rows(verdict)),
               Stop(stop_line(verdict))]
    if verdict.phases:
        blocks += [Heading("Phases"), phase_table(verdict.phases)]
    return blocks


def violation_blocks(verdict):
    """The profile where the property fails, its outcome and the failing
    fact, in exact numbers."""
    v, shape = verdict.witness, verdict.shape
    rows = []
    for j, size in enumerate(shape.groups):
        rows.append((f"group {j + 1}", _group_cell(v.outcome, j)))
        rows += [(f"  member {i + 1}, value {number(v.profile[j][i])}",
                  _member_cell(v.outcome, j, i)) for i in range(size)]
    return [Heading("Violation (exact numbers)"),
            Table(None, [("property", PROPERTY_NAMES.get(verdict.prop,
                                                         verdict.prop)),
                          ("fails", fact_words(verdict.prop, v.fact)),
                          ("profile", profile_words(v.profile))]),
            Table(("", "outcome"), rows),
            Table(None, [("tie rule", verdict.tie_rule)])]


def fact_words(prop, fact):
    """A failing fact (from :mod:`verifier.properties`) in a sentence."""
    who = (f"member {fact['member']} of group {fact['group']}"
           if "member" in fact else None)
    if prop == "individual_rationality":
        return f"{who} ends with utility {fact['utility']}, below 0"
    if prop == "budget_balance":
        return (f"group {fact['group']} is charged {fact['charge']}, its "
                f"members pay {fact['payments_sum']} in all")
    if prop == "no_positive_transfers":
        if who:
            return (f"{who} pays {fact['payment']}: it is paid "
                    f"{-Fraction(fact['payment'])}")
        return (f"group {fact['group']} is charged {fact['charge']}: it "
                f"is paid {-Fraction(fact['charge'])}")
    if prop == "feasibility":
        if who:
            return (f"{who} gets item {fact['item']}, which its group did "
                    f"not win")
        return (f"item {fact['item']} goes to groups "
                f"{' and '.join(map(str, fact['groups']))}")
    return _unequal_words(fact)


def _unequal_words(fact):
    first, second = fact["members"]
    differ = []
    if fact["access"][0] != fact["access"][1]:
        got = [_item_list(a) for a in fact["access"]]
        differ.append(f"get {got[0]} and {got[1]}")
    if Fraction(fact["payments"][0]) != Fraction(fact["payments"][1]):
        differ.append(f"pay {fact['payments'][0]} and "
                      f"{fact['payments'][1]}")
    return (f"members {first} and {second} of group {fact['group']} bid "
            f"the same but {' and '.join(differ)}")


def _item_list(numbers):
    if not numbers:
        return "nothing"
    return ("item " if len(numbers) == 1 else "items ") + ", ".join(
        map(str, numbers))


def profile_words(profile):
    """A profile as a person writes it: groups split by ";"."""
    return "[" + "; ".join(", ".join(number(b) for b in group)
                           for group in profile) + "]"


def robustness(w):
    """Robust, tie-dependent, or not labelled, in words."""
    if w.robust is None:
        return "not labelled"
    if w.robust:
        return (f"robust: every comparison stays at least {w.margin} from a "
                f"tie at both profiles")
    return (f"tie-dependent: a comparison is within {w.margin} of a tie; "
            f"the tie rule decides it")


def outcome_rows(shape, w):
    """Both outcomes side by side: per group what it won and was charged,
    per member its value, access and payment; then utilities."""
    rows = []
    for j, size in enumerate(shape.groups):
        rows.append((f"group {j + 1}", _group_cell(w.truthful, j),
                     _group_cell(w.deviated, j)))
        for i in range(size):
            deviates = (j, i) == (w.group, w.member)
            label = (f"  member {i + 1}, value "
                     f"{number(w.profile[j][i])}")
            label += ", deviates" if deviates else ""
            rows.append((label, _member_cell(w.truthful, j, i),
                         _member_cell(w.deviated, j, i)))
    rows.append((f"bid of {member(w.group, w.member)}", number(w.value),
                 number(w.misreport)))
    rows.append(("its utility", str(w.utility_truthful),
                 str(w.utility_deviated)))
    return rows


def _group_cell(out, j):
    cell = f"wins {items(out.wins[j])}"
    if out.charges[j] or any(out.wins[j]):
        cell += f", charged {number(out.charges[j])}"
    return cell


def _member_cell(out, j, i):
    return (f"gets {items(out.access[j][i])}, pays "
            f"{number(out.payments[j][i])}")


def domain_rows(verdict):
    bids = "values and misreports" if verdict.prop == "dsic" else "values"
    rows = [("property", PROPERTY_NAMES.get(verdict.prop, verdict.prop)),
            ("shape", verdict.shape.describe()),
            ("domain", f"{bids} in [{verdict.box.low}, {verdict.box.high}]"),
            ("tie rule", verdict.tie_rule)]
    if verdict.witness is not None:
        rows.pop()      # said with the witness
    for result in verdict.results:
        detail = f"; {result.detail}" if result.detail else ""
        rows.append(("side result",
                     f"{result.status}: {result.statement}{detail}"))
    rows += [("note", str(note)) for note in verdict.notes]
    return rows


def stop_line(verdict):
    return verdict.stop_reason or "stopped: no stop reason was recorded"


def phase_table(phases):
    rows = [(p.name, f"{p.seconds:.2f} s",
             ", ".join(f"{k} {v}" for k, v in p.counts.items()) or "-")
            for p in phases]
    return Table(("phase", "time", "counts"), rows)


# ---------------------------------------------------------------- words

def member(j, i):
    """A member as a person counts: "member 2 of group 1"."""
    return f"member {i + 1} of group {j + 1}"


def number(x):
    """An exact number or bid: 3/2, or (0, 5) for one per item."""
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(number(y) for y in x) + ")"
    if isinstance(x, bool):
        return str(x)
    return str(Fraction(x))


def items(row):
    """What a row of access (or wins) holds: "the item", "item 2",
    "items 1, 2" or "nothing"."""
    chosen = [str(r + 1) for r, has in enumerate(row) if has]
    if not chosen:
        return "nothing"
    if len(row) == 1:
        return "the item"
    return ("item " if len(chosen) == 1 else "items ") + ", ".join(chosen)


# ------------------------------------------------------------ rendering

def terminal(verdict, verbose=False):
    """The verdict as the terminal shows it; phases only when verbose."""
    out = []
    for block in document(verdict):
        if isinstance(block, Heading):
            if block.text == "Phases" and not verbose:
                break
            out += ["", block.text.lower()]
        elif isinstance(block, Para):
            out.append(block.text)
        elif isinstance(block, Table):
            if out and out[-1].startswith("  "):
                out.append("")
            out += ["  " + line for line in _aligned(block)]
        elif isinstance(block, Stop):
            out += [""] + textwrap.wrap(
                block.text, 78, subsequent_indent="  ",
                break_on_hyphens=False)
    return "\n".join(out) + "\n"


def _aligned(table, width=78):
    """Columns padded to line up; a two-column listing wraps its second
    column to ``width``."""
    rows = ([table.header] if table.header else []) + list(table.rows)
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    if table.header is None:
        room = max(width - widths[0] - 4, 30)
        return [line for key, text in rows
                for line in _wrapped(key, text, widths[0], room)]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
            for row in rows]


def _wrapped(key, text, key_width, room):
    lines = textwrap.wrap(text, room, break_on_hyphens=False) or [""]
    return [f"{key if n == 0 else '':<{key_width}}  {line}".rstrip()
            for n, line in enumerate(lines)]


def markdown(verdict, plot=None, checked=None, svg_name=None):
    """The report as Markdown; the plot is linked as ``svg_name``."""
    out = [f"# dsic: {title(verdict)}", ""]
    for block in document(verdict, plot, checked):
        if isinstance(block, Heading):
            out += [f"## {block.text}", ""]
        elif isinstance(block, (Para, Stop)):
            if isinstance(block, Stop):
                out += ["## Why it stopped", ""]
            out += [_md_text(block.text), ""]
        elif isinstance(block, Table):
            out += _md_table(block) + [""]
        elif isinstance(block, Figure):
            if svg_name:
                out.append(f"![utility plot]({svg_name})")
                out.append("")
            out += [_md_text(block.caption), ""]
    return "\n".join(out)


def _md_text(text):
    special = "\\`*_[]<>|#"
    return "".join("\\" + c if c in special else c for c in text)


def _md_cell(cell):
    indent = "&emsp;" if cell.startswith("  ") else ""
    return indent + _md_text(cell.strip())


def _md_table(table):
    header = table.header or ("", "")
    lines = ["| " + " | ".join(_md_text(c) or " " for c in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |"
              for row in table.rows]
    return lines


CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em;
       max-width: 52em; color: #222; line-height: 1.45; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.verdict { font-size: 1.1em; font-weight: 600; }
.refuted { color: #b03020; } .verified { color: #1b7f3b; }
table { border-collapse: collapse; margin: 0.6em 0; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em;
         text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.indent { padding-left: 1.8em; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #555; }
"""


def html(verdict, plot=None, checked=None):
    """The report as one self-contained HTML page."""
    kind = {REFUTED: "refuted", VERIFIED: "verified", NONE_FOUND: "sampled",
            UNKNOWN: "unknown"}[verdict.status]
    body = []
    for n, block in enumerate(document(verdict, plot, checked)):
        body.append(_html_block(block, kind if n == 0 else None))
    page_title = escape(f"dsic: {title(verdict)}")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
        "<meta charset=\"utf-8\">\n"
        f"<title>{page_title}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<h1>{page_title}</h1>\n" + "\n".join(body) +
        "\n</body>\n</html>\n")


def _html_block(block, verdict_kind):
    if isinstance(block, Heading):
        return f"<h2>{escape(block.text)}</h2>"
    if isinstance(block, Para):
        if verdict_kind:
            return (f'<p class="verdict {escape(verdict_kind)}">'
                    f"{escape(block.text)}</p>")
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Stop):
        return (f"<h2>Why it stopped</h2>\n<p class=\"stop\">"
                f"{escape(block.text)}</p>")
    if isinstance(block, Figure):
        return (f"<figure>\n{block.svg}\n<figcaption>"
                f"{escape(block.caption)}</figcaption>\n</figure>")
    return _html_table(block)


def _html_table(table):
    out = ["<table>"]
    if table.header:
        out.append("<tr>" + "".join(f"<th>{escape(c)}</th>"
                                    for c in table.header) + "</tr>")
    for row in table.rows:
        cells = []
        for c, cell in enumerate(row):
            tag = "th" if c == 0 and table.header is None else "td"
            indent = ' class="indent"' if cell.startswith("  ") else ""
            cells.append(f"<{tag}{indent}>{escape(cell.strip())}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


# -------------------------------------------------------------- the plot

def utility_figure(mechanism, verdict):
    """The plot of the deviator's utility as a :class:`Figure`, or a
    :class:`Para` saying why there is none: the mechanism could not be
    loaded, failed, or did not return in time."""
    from . import plot
    from .guard import CallTimedOut

    w = verdict.witness
    if w is None or verdict.prop != "dsic":
        return None
    if mechanism is None:
        return Para("No plot: the mechanism could not be loaded.")
    try:
        curve = plot.utility_curve(mechanism, verdict.shape, w, verdict.box)
    except (DsicError, CallTimedOut) as error:
        return Para(f"No plot: {error}")
    who = member(w.group, w.member)
    svg = plot.svg(curve, f"utility of {who}")
    return Figure(svg, _caption(curve, who))


def _caption(curve, who):
    jumps = curve.jumps()
    where = ", ".join(str(p.x) for p in jumps[:8])
    more = f" and {len(jumps) - 8} more" if len(jumps) > 8 else ""
    along = ("its bid over the value box" if curve.axis == "bid" else
             "t from its true value (t = 0) to its misreport (t = 1)")
    said = (f"Utility of {who} (true values, others' bids fixed) along "
            f"{along}, from {len(curve.values)} exact evaluations.")
    if jumps:
        said += (f" It jumps at {where}{more}: a filled dot is the value "
                 f"there, an open dot a limit it does not take.")
    return said + (" Breakpoints are bracketed by exact bisection and "
                   "shown as the simplest fraction in their bracket.")


# ------------------------------------------------------------------ JSON

def to_json(verdict):
    """The verdict as a JSON-ready dict: exact numbers as strings."""
    w = verdict.witness
    dsic = verdict.prop == "dsic"
    data = {
        "verdict": verdict.status,
        "exit_code": EXIT_CODES[verdict.status],
        "mechanism": verdict.mechanism,
        "property": verdict.prop,
        "shape": verdict.shape.to_json(),
        "domain": verdict.box.to_json(),
        "tie_rule": verdict.tie_rule,
        "witness": None if w is None or not dsic else _witness_json(w),
        "results": [{"statement": r.statement, "status": r.status,
                     "detail": r.detail} for r in verdict.results],
        "phases": [{"name": p.name, "seconds": round(p.seconds, 3),
                    "counts": p.counts} for p in verdict.phases],
        "stop_reason": verdict.stop_reason,
        "notes": [str(n) for n in verdict.notes],
        "certificate": verdict.certificate,
    }
    if not dsic:
        data["violation"] = None if w is None else _violation_json(
            verdict.prop, w)
    return data


def _violation_json(prop, v):
    """A violation of another property, in place of a witness: the
    profile, its outcome, the failing fact and the fact in words."""
    def bid(x):
        return [str(y) for y in x] if isinstance(x, tuple) else str(x)
    return {"profile": [[bid(b) for b in group] for group in v.profile],
            "outcome": v.outcome.to_json(), "fact": v.fact,
            "in_words": fact_words(prop, v.fact)}


def _witness_json(w):
    def bid(x):
        return [str(y) for y in x] if isinstance(x, tuple) else str(x)
    return {
        "group": w.group + 1, "member": w.member + 1,
        "profile": [[bid(b) for b in group] for group in w.profile],
        "misreport": bid(w.misreport),
        "truthful": w.truthful.to_json(), "deviated": w.deviated.to_json(),
        "utilities": {"truthful": str(w.utility_truthful),
                      "deviated": str(w.utility_deviated)},
        "gain": str(w.gain), "robust": w.robust,
        "margin": None if w.margin is None else str(w.margin),
    }


# ----------------------------------------------------------------- files

FORMATS = (".md", ".html")


def write_report(path, verdict, mechanism=None, checked=None):
    """Write a Markdown or HTML report, chosen by the suffix of ``path``,
    all or nothing; Markdown gets its plot as a sibling ``.svg``. Returns
    the paths written."""
    suffix = report_suffix(path)
    figure = utility_figure(mechanism, verdict)
    if suffix == ".html":
        write_atomic(path, html(verdict, figure, checked))
        return [path]
    written = []
    svg_name = None
    if isinstance(figure, Figure):
        svg_path = os.path.splitext(path)[0] + ".svg"
        svg_name = os.path.basename(svg_path)
        write_atomic(svg_path, figure.svg + "\n")
        written.append(svg_path)
    write_atomic(path, markdown(verdict, figure, checked, svg_name))
    return [path] + written


def report_suffix(path):
    """``.md`` or ``.html``, or InvalidArgument naming the path."""
    from .errors import InvalidArgument

    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FORMATS:
        raise InvalidArgument(
            f"report file {path!r} ends in {suffix or 'no suffix'!r}: name "
            f"it .md for Markdown or .html for a web page")
    return suffix


# ------------------------------------------------ from a stored certificate

def verdict_from_certificate(cert):
    """The :class:`~verifier.verdict.Verdict` a certificate records, as
    far as a report needs it (phases other than sampling are not kept)."""
    from .model import Shape, exact_profile
    from .verdict import Box, Phase, Result, Verdict, Witness

    shape = Shape.from_json(cert["shape"])
    evidence = cert.get("evidence") or {}
    witness, phases = None, []
    if evidence.get("kind") == "witness":
        witness = _witness_from(shape, evidence, exact_profile, Witness)
    if evidence.get("kind") == "violation":
        witness = _violation_from(cert["claim"]["property"], shape,
                                  evidence)
    if evidence.get("kind") == "sampling":
        phases.append(Phase("sampling", 0.0, dict(evidence["counts"])))
    return Verdict(
        status=cert["verdict"], mechanism=cert["mechanism"]["name"],
        shape=shape, box=Box.from_json(cert["domain"]),
        tie_rule=cert["mechanism"]["tie_rule"],
        prop=cert["claim"]["property"], witness=witness, phases=phases,
        results=[Result(r["statement"], r["status"], r.get("detail", ""))
                 for r in cert.get("results", [])],
        stop_reason=cert.get("stop_reason", ""),
        certificate=cert, notes=list(cert.get("notes", [])))


def _witness_from(shape, e, exact_profile, Witness):
    j, i = e["group"] - 1, e["member"] - 1
    profile = exact_profile(shape, e["profile"])
    misreport = exact_profile(
        shape, _with_bid(e["profile"], j, i, e["misreport"]))[j][i]
    return Witness(
        group=j, member=i, profile=profile, misreport=misreport,
        truthful=outcome_from_json(shape, e["truthful"]),
        deviated=outcome_from_json(shape, e["deviated"]),
        utility_truthful=Fraction(e["utilities"]["truthful"]),
        utility_deviated=Fraction(e["utilities"]["deviated"]),
        robust=e.get("robust"),
        margin=None if e.get("margin") is None else Fraction(e["margin"]))


def _violation_from(prop, shape, e):
    from .model import exact_profile
    from .properties import Violation

    fact = e["fact"]
    return Violation(
        prop, exact_profile(shape, e["profile"]),
        outcome_from_json(shape, e["outcome"]), fact,
        fact["group"] - 1 if "group" in fact else None,
        fact["member"] - 1 if "member" in fact else None)


def _with_bid(profile, j, i, bid):
    return [[bid if (g, m) == (j, i) else b for m, b in enumerate(group)]
            for g, group in enumerate(profile)]


def outcome_from_json(shape, data):
    """An :class:`~verifier.model.Outcome` from ``Outcome.to_json``."""
    from .model import Outcome

    def row(numbers):
        return tuple(r + 1 in numbers for r in range(shape.items))

    return Outcome(
        wins=tuple(row(won) for won in data["wins"]),
        charges=tuple(Fraction(c) for c in data["charges"]),
        access=tuple(tuple(row(a) for a in group)
                     for group in data["access"]),
        payments=tuple(tuple(Fraction(p) for p in group)
                       for group in data["payments"]))
