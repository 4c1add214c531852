"""Certificates: a verdict written as self-describing JSON.

A certificate holds everything needed to re-check a verdict without the
tool that reached it: the format and version, the tools' versions, how to
reload the mechanism and a hash of its source, the shape, the value box,
the claim in words, the verdict and its evidence. Numbers are exact and
written as strings ("3/2"); keys are sorted. :mod:`verifier.checker`
reads it back.

Evidence by verdict:

- refuted DSIC: ``witness``, the profile, the deviating member (counted
  from 1), its misreport, both outcomes, both utilities and the gain;
- refuted other property: ``violation``, the profile, its outcome and the
  failing fact;
- verified: ``smt``, one kept SMT-LIB query per member, each unsat;
- no counterexample found: ``sampling``, the counts of what was tried;
- unknown: ``unknown``, the reason and the setting to raise.
"""

import importlib.metadata
import json
import operator
import os
import platform
import sys
from fractions import Fraction

import mechanisms

from . import __version__
from .files import write_atomic
from .checker import FORMAT, VERSION, replace_bid, statement, violations
from .entry import Entry
from .errors import InvalidArgument
from .loading import FILE_MODULE_PREFIX, load_target
from .mechanism import Mechanism, as_outcome
from .model import exact_profile
from .verdict import NONE_FOUND, REFUTED, UNKNOWN, VERIFIED


def from_verdict(verdict, target, mechanism=None):
    """The certificate of ``verdict`` as a JSON-ready dict.

    ``target`` says how to load the mechanism again: a catalogue name,
    ``file.py:function`` or ``package.module:function``; or a Mechanism or
    Entry, whose target is then worked out where it can be (None where it
    cannot, and a note says so). ``mechanism`` spares loading the target
    again when the caller holds it.
    """
    if isinstance(target, (Mechanism, Entry)):
        mechanism, target = target, None
    if isinstance(mechanism, Entry):
        mechanism = mechanism.mechanism
    if mechanism is None:
        mechanism, _ = load_target(target)
    notes = [str(note) for note in verdict.notes]
    if target is None:
        target = target_of(mechanism)
    if target is None:
        notes.append(f"{verdict.mechanism} has no name to load it by, so "
                     f"this certificate cannot be re-checked; pass a "
                     f"target such as file.py:function")

    shape, box, prop = verdict.shape, verdict.box, verdict.prop
    cert = {
        "format": FORMAT,
        "version": VERSION,
        "tools": tools(),
        "mechanism": {
            "name": verdict.mechanism,
            "target": target,
            "source_sha256": mechanism.source_hash(),
            "tie_rule": verdict.tie_rule,
            "plain": mechanism.plain,
        },
        "shape": shape.to_json(),
        "domain": box.to_json(),
        "claim": {"property": prop,
                  "statement": statement(prop, shape, (box.low, box.high),
                                         verdict.tie_rule)},
        "verdict": verdict.status,
        "evidence": evidence(verdict, mechanism),
        "results": [{"statement": r.statement, "status": r.status,
                     "detail": r.detail} for r in verdict.results],
        "stop_reason": verdict.stop_reason,
        "notes": notes,
    }
    return sorted_keys(cert)


def tools():
    """The versions a certificate records: dsic, z3 and Python."""
    try:
        z3 = importlib.metadata.version("z3-solver")
    except importlib.metadata.PackageNotFoundError:
        z3 = "not installed"
    return {"dsic": __version__, "z3": z3,
            "python": platform.python_version()}


def target_of(mechanism):
    """A target that loads ``mechanism`` again, or None.

    A catalogue mechanism is found by name; a plain function defined at
    the top of a module or file by ``module:function`` or ``file:function``.
    """
    for entry in mechanisms.ENTRIES:
        if entry.mechanism is mechanism:
            return entry.name
    rule = mechanism.rule
    qualname = getattr(rule, "__qualname__", "")
    module = sys.modules.get(getattr(rule, "__module__", None))
    if not mechanism.plain or not qualname or "<" in qualname or not module:
        return None
    path = getattr(module, "__file__", None)
    if module.__name__ == "__main__" or module.__name__.startswith(
            FILE_MODULE_PREFIX):
        return f"{path}:{qualname}" if path else None
    return f"{module.__name__}:{qualname}"


# ------------------------------------------------------------- evidence

def evidence(verdict, mechanism):
    """The evidence section for ``verdict``."""
    if verdict.status == REFUTED:
        if verdict.witness is None:
            raise InvalidArgument(
                f"a refuted verdict on {verdict.mechanism} has no witness: "
                f"a refutation certificate needs the profitable misreport")
        if verdict.prop == "dsic":
            return witness_evidence(verdict, mechanism)
        return violation_evidence(verdict, mechanism)
    if verdict.status == VERIFIED:
        return proof_evidence(verdict)
    if verdict.status == NONE_FOUND:
        counts = {}
        for phase in verdict.phases:
            if phase.name == "sampling":
                counts.update((name, operator.index(count))
                              for name, count in phase.counts.items())
        return {"kind": "sampling", "counts": counts}
    assert verdict.status == UNKNOWN, verdict.status
    answer = getattr(verdict, "unknown", None)
    reason = getattr(answer, "reason", "") or verdict.stop_reason
    return {"kind": "unknown", "reason": reason,
            "setting": "timeout" if answer is not None else None}


def witness_evidence(verdict, mechanism):
    """A profitable misreport: who, at which profile, bidding what."""
    w, shape = verdict.witness, verdict.shape
    j, i = w.group, w.member
    values = exact_profile(shape, w.profile)
    deviated = exact_profile(shape, replace_bid(values, j, i, w.misreport))
    return {
        "kind": "witness",
        "group": j + 1,
        "member": i + 1,
        "profile": bids_json(values),
        "misreport": bids_json(deviated[j][i]),
        "truthful": w.truthful.to_json(),
        "deviated": w.deviated.to_json(),
        "utilities": {"truthful": str(w.utility_truthful),
                      "deviated": str(w.utility_deviated)},
        "gain": str(w.gain),
        "robust": w.robust,
        "margin": None if w.margin is None else str(w.margin),
    }


def violation_evidence(verdict, mechanism):
    """A profile where the claimed property fails, and the failing fact."""
    w, shape, prop = verdict.witness, verdict.shape, verdict.prop
    values = exact_profile(shape, w.profile)
    outcome = as_outcome(shape, mechanism.rule(values), mechanism.name)
    facts = violations(prop, shape, values, outcome)
    if not facts:
        raise InvalidArgument(
            f"the witness profile {bids_json(values)} shows no violation of "
            f"{prop} on exact re-evaluation: nothing to certify")
    j, i = getattr(w, "group", None), getattr(w, "member", None)

    def closeness(fact):  # the witness's member first, then its group
        return (i is None or fact.get("member") != i + 1,
                j is None or fact.get("group") != j + 1)
    return {"kind": "violation", "profile": bids_json(values),
            "outcome": outcome.to_json(), "fact": min(facts, key=closeness)}


def proof_evidence(verdict):
    """The solver's unsat answers, one query per member."""
    answers = getattr(verdict, "proof", None) or []
    if not answers or any(a.status != "unsat" for a in answers):
        raise InvalidArgument(
            f"a verified verdict on {verdict.mechanism} needs the solver's "
            f"answers, every one unsat, in verdict.proof")
    return {
        "kind": "smt",
        "queries": [_query(a) for a in answers],
        "margin": _margin(answers),
        "solver": f"z3 {tools()['z3']}",
    }


def _margin(answers):
    """The margin every answer was asked at, or None for none."""
    margins = {getattr(a, "margin", None) for a in answers}
    assert len(margins) == 1, f"answers at several margins: {margins}"
    margin = margins.pop()
    return None if margin is None else str(margin)


def _query(answer):
    group, member = getattr(answer, "group", None), getattr(
        answer, "member", None)
    return {"group": None if group is None else group + 1,
            "member": None if member is None else member + 1,
            "smtlib": answer.smtlib, "result": answer.status}


def bids_json(bids):
    """Exact bids as JSON: numbers as strings, tuples as lists."""
    if isinstance(bids, (tuple, list)):
        return [bids_json(b) for b in bids]
    return str(bids)


# ------------------------------------------------------------ the file

def write(path, cert):
    """Write ``cert`` to ``path`` as sorted JSON, all or nothing: a
    reader never sees half a file."""
    _refuse_floats(cert, "certificate")
    write_atomic(path, json.dumps(cert, sort_keys=True, indent=2) + "\n")


def load(path):
    """The certificate stored at ``path``, as a dict."""
    try:
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    except FileNotFoundError:
        raise InvalidArgument(
            f"no certificate at {path!r}: give the path of a certificate "
            f"file written by dsic") from None
    except json.JSONDecodeError as error:
        raise InvalidArgument(
            f"{path} is not JSON ({error}): a certificate is a JSON file "
            f"written by dsic") from None


def resolve_queries(cert, timeout=60.0):
    """Re-solve the SMT-LIB queries of a proof certificate with z3.

    This is outside the independent checker, which runs no solver. Returns
    ``[(group, member, answer)]`` with the answer z3 gives now.
    """
    import z3

    answers = []
    for query in cert["evidence"]["queries"]:
        solver = z3.Solver()
        solver.set("timeout", int(timeout * 1000))
        solver.from_string(query["smtlib"])
        answers.append((query["group"], query["member"],
                        str(solver.check())))
    return answers


def reprove(cert, base=None, timeout=60.0):
    """Prove a proof certificate's claim again, from the mechanism as it is
    now, with z3: fresh queries for the stated shape, box, margin and
    property. Outside the independent checker; it guards against stored
    queries that no longer say what the mechanism does. Returns
    ``[(group, member, answer)]``, counted from 1 (None for a property
    asked of the whole profile).
    """
    from . import properties, smt
    from .model import Shape
    from .verdict import Box

    mechanism, _ = load_target(cert["mechanism"]["target"], base)
    shape = Shape.from_json(cert["shape"])
    box = Box.from_json(cert["domain"])
    prop = cert["claim"]["property"]
    if mechanism.plain:
        from . import symexec
        read = symexec.symbolic_mechanism(mechanism, shape, box)
        mechanism = symexec.solver_mechanism(mechanism, read)
    if prop != "dsic":
        answer = properties.check(mechanism, shape, box, prop,
                                  timeout=timeout)
        return [(None, None, answer.status)]
    margin = cert["evidence"].get("margin")
    margin = None if margin is None else Fraction(margin)
    answers = []
    for j, i in shape.members():
        try:
            status = smt.find_deviation(mechanism, shape, box, j, i,
                                        timeout=timeout,
                                        margin=margin).status
        except smt.SolverDisagreement:
            status = "unknown"
        answers.append((j + 1, i + 1, status))
    return answers


def _refuse_floats(data, path):
    if isinstance(data, float):
        raise InvalidArgument(
            f"{path} is the float {data!r}: certificates hold exact numbers "
            f"written as strings such as \"3/2\"")
    if isinstance(data, dict):
        for key, value in data.items():
            _refuse_floats(value, f"{path}.{key}")
    elif isinstance(data, (list, tuple)):
        for n, value in enumerate(data):
            _refuse_floats(value, f"{path}[{n}]")


def sorted_keys(data):
    """``data`` with every dict's keys in order, as certificates keep them."""
    if isinstance(data, dict):
        return {key: sorted_keys(data[key]) for key in sorted(data)}
    if isinstance(data, list):
        return [sorted_keys(x) for x in data]
    return data
