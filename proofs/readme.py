"""proofs/README.md, generated from the stored claim certificates."""

HEADER = """\
# The paper's claims, checked

Generated from the certificates in `proofs/certificates/` by
`dsic reproduce`; `dsic reproduce --check` re-checks them with exact
arithmetic only (no solver, no floats). Do not edit by hand.

Paper: M. Bahrani, P. Garimidi, T. Roughgarden, *When Bidders Are DAOs*.
A solver step rests on z3, whose queries are stored beside each
certificate as SMT-LIB (`zcat CLAIM.smt2.gz | z3 -in` answers them
again); an exact fact is re-evaluated with Fractions through the
catalogue's mechanisms; a step from the paper is not checked by machine.
"""


def text(certs):
    """The README for the certificates ``certs``, in order."""
    parts = [HEADER, _table(certs), _conditions(certs)]
    parts += [_section(cert) for cert in certs]
    parts.append(_footer(certs))
    return "\n".join(p for p in parts if p)


def write(path, certs):
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text(certs))
    return path


def _table(certs):
    rows = ["| Claim | Result | Checked on | Evidence |",
            "|---|---|---|---|"]
    for cert in certs:
        rows.append(
            f"| {cert['claim']['reference']} | "
            f"{cert['verdict']['result']} | {_cell(cert['bounds'])} | "
            f"{_evidence(cert)} |")
    return "\n".join(rows) + "\n"


def _conditions(certs):
    lines = []
    for cert in certs:
        for condition in cert["verdict"]["conditions"]:
            lines.append(f"- **{cert['claim']['reference']}**: {condition}")
    if not lines:
        return ""
    return ("## Where the paper's statement needs a condition\n\n"
            + "\n".join(lines) + "\n")


def _section(cert):
    claim, verdict = cert["claim"], cert["verdict"]
    steps = cert["evidence"]["steps"]
    lines = [
        f"## {claim['reference']}",
        "",
        f"> {claim['paper']}",
        "",
        f"**Result: {verdict['result']}.** {verdict['summary']}",
        "",
        f"- Checked: {claim['checked']}.",
        f"- Bounds: {cert['bounds']}.",
        f"- Domain: {_domain(cert['domain'])}.",
        f"- Sources (SHA-256 prefix; tie rule): {_sources(cert)}.",
        f"- Evidence: {_evidence(cert)}; built in "
        f"{_seconds(cert['milliseconds'])}.",
    ]
    paper = [s for s in steps if s["kind"] == "paper"]
    if paper:
        lines.append("- Taken from the paper, not checked:")
        lines += [f"  - {s['statement']} ({s['reference']})" for s in paper]
    return "\n".join(lines) + "\n"


def _footer(certs):
    seconds = sum(c["milliseconds"] for c in certs) / 1000
    tools = certs[0]["tools"] if certs else {}
    versions = ", ".join(f"{k} {v}" for k, v in sorted(tools.items()))
    return (f"---\n\nAll {len(certs)} certificates built in {seconds:.0f} s "
            f"of work ({versions}).\n")


def _evidence(cert):
    steps = cert["evidence"]["steps"]
    solver = [s for s in steps if s["kind"] == "solver"]
    counts = {status: sum(s["status"] == status for s in solver)
              for status in ("unsat", "sat", "unknown")}
    exact = sum(s["kind"] == "fact" for s in steps)
    paper = sum(s["kind"] == "paper" for s in steps)
    words = [_count(exact, "exact fact"),
             f"{_count(len(solver), 'z3 answer')} ({counts['unsat']} unsat, "
             f"{counts['sat']} sat, {counts['unknown']} unknown)"]
    if paper:
        words.append(f"{_count(paper, 'step')} from the paper")
    return ", ".join(words)


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _seconds(milliseconds):
    if milliseconds < 100:
        return "under 0.1 s"
    return f"{milliseconds / 1000:.1f} s"


def _domain(domain):
    return "; ".join(f"{key}: {_value(value)}"
                     for key, value in sorted(domain.items()))


def _value(value):
    if isinstance(value, dict) and set(value) == {"low", "high"}:
        return f"[{value['low']}, {value['high']}]"
    return str(value)


def _sources(cert):
    named = [f"{name} ({info['source_sha256'][:12]}; {info['tie_rule']})"
             for name, info in sorted(cert["mechanisms"].items())]
    named += [f"{name} ({info['source_sha256'][:12]})"
              for name, info in sorted(cert["parts"].items())]
    return "; ".join(named) or "none"


def _cell(text):
    return text.replace("|", "/")


