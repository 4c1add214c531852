"""The exact re-checker of claim certificates.

It runs no solver and uses no floats. For every step of a certificate:

- ``fact``: re-evaluates the fact with Fractions through the catalogue's
  mechanisms (:mod:`proofs.facts`) and compares every value, then decides
  every requirement (``gain > 0``, ``ratio == 137/60``) again;
- ``solver``: checks that the SMT-LIB query is stored beside the JSON with
  the recorded hash and a ``(check-sat)``, and that the recorded answer is
  the one the claim expects; such a step rests on the solver, and the
  stored query lets any SMT-LIB solver answer it again;
- ``paper``: counts it as resting on the paper.

It also checks that every mechanism and building block still has the
source the certificate was built from, and that the verdict is the one
the claim's own conclusion rule draws from the steps.
"""

import hashlib
import os
import time
from dataclasses import dataclass, field

from mechanisms import CATALOGUE

from . import evidence, facts

STATUSES = ("sat", "unsat", "unknown")


@dataclass
class Report:
    """What the checker found in one certificate: ``ok`` when nothing
    failed, the ``problems`` (each naming the field), counts of what was
    re-checked, and a one-line ``summary``."""

    ok: bool
    problems: list
    counts: dict = field(default_factory=dict)
    summary: str = ""
    seconds: float = 0.0


class _Problem(Exception):
    """A field that does not hold; the message names it."""


def check_file(path):
    """Re-check the certificate stored at ``path``."""
    try:
        cert = evidence.load(path)
    except (OSError, ValueError) as error:
        return Report(False, [f"{path}: {error}"], summary=str(error))
    return check_certificate(cert, os.path.dirname(path) or ".")


def check_certificate(cert, folder):
    """Re-check ``cert``, whose SMT-LIB file (if any) is in ``folder``."""
    started = time.perf_counter()
    run = _Check(cert, folder)
    try:
        run.all()
    except _Problem as problem:
        run.problems.append(str(problem))
    except (KeyError, TypeError, ValueError) as error:
        run.problems.append(
            f"malformed certificate: {type(error).__name__}: {error}")
    return run.report(time.perf_counter() - started)


class _Check:
    def __init__(self, cert, folder):
        self.cert, self.folder = cert, folder
        self.problems = []
        self.counts = {"facts": 0, "solver": 0, "paper": 0,
                       "unsat": 0, "sat": 0, "unknown": 0}

    def all(self):
        self.head()
        self.sources()
        blocks = self.blocks()
        used = set()
        for n, step in enumerate(self.cert["evidence"]["steps"], start=1):
            if step.get("id") != n:
                raise _Problem(f"evidence.steps[{n - 1}].id is "
                               f"{step.get('id')!r}: steps are numbered "
                               f"from 1 in order")
            where = f"step {n} ({step.get('statement', '')[:60]})"
            getattr(self, "_" + step["kind"])(step, where, blocks, used)
        if blocks is not None and used != set(range(1, len(blocks) + 1)):
            self.problems.append(
                f"evidence.smtlib holds {len(blocks)} queries but the steps "
                f"use {len(used)}: every stored query belongs to one step")
        self.verdict()

    # -------------------------------------------------------------- head

    def head(self):
        cert = self.cert
        if cert.get("format") != evidence.FORMAT:
            raise _Problem(f"format is {cert.get('format')!r}: expected "
                           f"{evidence.FORMAT!r}")
        if cert.get("version") != evidence.VERSION:
            raise _Problem(f"version is {cert.get('version')!r}: this "
                           f"checker reads version {evidence.VERSION}")
        for key in ("dsic", "z3", "python"):
            if key not in cert.get("tools", {}):
                raise _Problem(f"tools.{key} is missing")

    def sources(self):
        for name, said in self.cert["mechanisms"].items():
            if name not in CATALOGUE:
                raise _Problem(f"mechanisms.{name}: no catalogue entry of "
                               f"that name")
            mechanism = CATALOGUE[name].mechanism
            self.same(f"mechanisms.{name}.source_sha256",
                      said["source_sha256"], mechanism.source_hash(),
                      "the mechanism's source now hashes to")
            self.same(f"mechanisms.{name}.tie_rule", said["tie_rule"],
                      mechanism.tie_rule, "the mechanism's tie rule is now")
        for key, said in self.cert["parts"].items():
            kind, _, name = key.partition(":")
            if name not in evidence.PARTS.get(kind, {}):
                raise _Problem(f"parts.{key}: no building block of that "
                               f"name")
            self.same(f"parts.{key}.source_sha256", said["source_sha256"],
                      evidence.part_hash(kind, name),
                      "the building block's source now hashes to")

    def blocks(self):
        name = self.cert["evidence"]["smtlib"]
        if name is None:
            return None
        if name != evidence.smtlib_name(self.cert["claim"]["id"]):
            raise _Problem(f"evidence.smtlib is {name!r}: expected "
                           f"{evidence.smtlib_name(self.cert['claim']['id'])}")
        try:
            return evidence.load_blocks(self.folder, name)
        except OSError as error:
            raise _Problem(f"evidence.smtlib: cannot read {name} beside the "
                           f"certificate ({error})") from None

    # ------------------------------------------------------------- steps

    def _fact(self, step, where, blocks, used):
        self.counts["facts"] += 1
        if step["fact"] not in facts.KINDS:
            raise _Problem(f"{where}: unknown fact kind {step['fact']!r}")
        try:
            values = facts.evaluate(step["fact"], step["inputs"])
        except Exception as error:  # the mechanism's or the input's fault
            raise _Problem(f"{where}: re-evaluating the {step['fact']} fact "
                           f"failed: {type(error).__name__}: {error}")
        for key in sorted(set(values) | set(step["values"])):
            if values.get(key) != step["values"].get(key):
                self.problems.append(
                    f"{where}: values.{key} is "
                    f"{_short(step['values'].get(key))}, exact "
                    f"re-evaluation gives {_short(values.get(key))}")
        holds = all(facts.requirement_holds(values, r)
                    for r in step["require"])
        self.same(f"{where}: holds", step["holds"], holds,
                  "its requirements re-checked give")

    def _solver(self, step, where, blocks, used):
        self.counts["solver"] += 1
        status = step["status"]
        if status not in STATUSES:
            raise _Problem(f"{where}: status {status!r} is not one of "
                           f"{', '.join(STATUSES)}")
        self.counts[status] += 1
        number = step["smtlib"]["block"]
        if blocks is None or not 1 <= number <= len(blocks):
            raise _Problem(f"{where}: its SMT-LIB query {number} is not in "
                           f"the stored file")
        used.add(number)
        text = blocks[number - 1]
        digest = hashlib.sha256(text.encode()).hexdigest()
        self.same(f"{where}: smtlib.sha256", step["smtlib"]["sha256"],
                  digest, "the stored query hashes to")
        if "(check-sat)" not in text:
            self.problems.append(f"{where}: the stored query has no "
                                 f"(check-sat)")
        self.same(f"{where}: holds", step["holds"],
                  status == step["expect"],
                  f"status {status} against expected {step['expect']} gives")

    def _paper(self, step, where, blocks, used):
        self.counts["paper"] += 1
        if not step.get("reference"):
            self.problems.append(f"{where}: a step from the paper names "
                                 f"no reference")

    # ----------------------------------------------------------- verdict

    def verdict(self):
        from . import module_of
        module = module_of(self.cert["claim"]["id"])
        drawn = module.conclude(self.cert["evidence"]["steps"])
        said = self.cert["verdict"]
        for key in sorted(set(drawn) | set(said)):
            if drawn.get(key) != said.get(key):
                self.problems.append(
                    f"verdict.{key} is {_short(said.get(key))}, the steps "
                    f"give {_short(drawn.get(key))}")

    def same(self, path, said, found, source):
        if said != found:
            self.problems.append(f"{path} is {_short(said)}, {source} "
                                 f"{_short(found)}")

    def report(self, seconds):
        c = self.counts
        if self.problems:
            more = (f" (and {len(self.problems) - 1} more)"
                    if len(self.problems) > 1 else "")
            return Report(False, self.problems, c,
                          f"rejected: {self.problems[0]}{more}", seconds)
        summary = (f"{c['facts']} exact facts re-evaluated; "
                   f"{c['solver']} solver answers stored "
                   f"({c['unsat']} unsat, {c['sat']} sat, "
                   f"{c['unknown']} unknown), resting on z3")
        if c["paper"]:
            summary += f"; {c['paper']} steps taken from the paper"
        return Report(True, [], c, summary, seconds)


def _short(x):
    text = repr(x)
    return text if len(text) < 70 else text[:67] + "..."
