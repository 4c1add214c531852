"""Claim certificates: the evidence for one claim of the paper, and its file.

A claim certificate is JSON with sorted keys and exact numbers written as
strings. Beside the claim, the tools' versions, the mechanisms used (with
a hash of their source and their tie rule), the shapes and the domain, it
holds a list of steps, each of one kind:

- ``fact``: an exact fact of :mod:`proofs.facts` (kind, inputs, values and
  requirements such as ``gain > 0``), re-evaluated by the checker;
- ``solver``: one z3 query, its answer and the answer the claim expects;
  the query is kept as SMT-LIB text in a gzip file beside the JSON, one
  block per query, so that any solver can answer it again;
- ``paper``: a step taken from the paper and not checked by machine.

The verdict says what the steps establish, with any condition the tool
had to add to the paper's statement.
"""

import gzip
import hashlib
import inspect
import json
import os
import re
import time

from mechanisms import CATALOGUE
from mechanisms.aggregation import AGGREGATIONS
from mechanisms.cost_sharing import LOWERS
from mechanisms.upper import UPPERS
from verifier.certificate import sorted_keys, tools
from verifier.files import write_atomic

from . import facts

FORMAT = "dsic-claim-certificate"
VERSION = 1
BLOCK = "; query "
STEPS = "<steps, one per line>"
LET_NAME = re.compile(r"[$?]x\d+\b|\ba!\d+\b")
PARTS = {"aggregation": AGGREGATIONS, "upper": UPPERS, "lower": LOWERS}


def part_hash(kind, name):
    """SHA-256 of the source of a building block (``upper``, ``vcg``)."""
    function = PARTS[kind][name]
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def canonical(smtlib):
    """A query's SMT-LIB text with z3's let names ($x8032, ?x10659, a!3),
    which follow its internal numbering, renamed in order of first use:
    the same query always reads the same, whatever ran before it."""
    names = {}

    def rename(match):
        name = match.group(0)
        if name not in names:
            prefix = name[:2] if name[0] in "$?" else "a!"
            names[name] = f"{prefix}{len(names) + 1}"
        return names[name]
    return LET_NAME.sub(rename, smtlib).rstrip() + "\n"


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


class Record:
    """The steps of one claim's certificate, gathered as the proof runs."""

    def __init__(self, claim):
        self.claim = claim
        self.steps = []
        self.blocks = []
        self.mechanisms = {}
        self.parts = {}
        self.shapes = []
        self.domain = {}
        self.bounds = ""
        self.started = time.perf_counter()

    # ---------------------------------------------------------- sources

    def mechanism(self, name):
        """The catalogue mechanism ``name``, noted with its source hash."""
        mechanism = CATALOGUE[name].mechanism
        self.mechanisms[name] = {"source_sha256": mechanism.source_hash(),
                                 "tie_rule": mechanism.tie_rule}
        return mechanism

    def part(self, kind, name):
        """A building block (``aggregation``, ``upper``, ``lower``) by
        its catalogue key, noted with its source hash."""
        function = PARTS[kind][name]
        entry = {"source_sha256": part_hash(kind, name)}
        rule = getattr(function, "tie_rule", "")
        if rule:
            entry["tie_rule"] = rule
        self.parts[f"{kind}:{name}"] = entry
        return function

    # ------------------------------------------------------------ steps

    def fact(self, kind, inputs, statement, require=(), **tags):
        """Evaluate an exact fact, keep it as a step; return its values."""
        if "mechanism" in inputs:
            self.mechanism(inputs["mechanism"])
        for block in PARTS:
            if block in inputs:
                self.part(block, inputs[block])
        values = facts.evaluate(kind, inputs)
        reqs = [facts.requirement(*r) for r in require]
        holds = all(facts.requirement_holds(values, r) for r in reqs)
        self._step("fact", statement, tags, fact=kind, inputs=inputs,
                   values=values, require=reqs, holds=holds)
        return values

    def solver(self, statement, answer, expect, **tags):
        """Keep a solver answer as a step; ``expect`` is the answer the
        claim relies on (None when either answer is informative)."""
        text = canonical(answer.smtlib)
        self.blocks.append((statement, text))
        step = self._step(
            "solver", statement, tags, status=answer.status,
            expect=answer.status if expect is None else expect,
            informative=expect is None, reason=answer.reason,
            smtlib={"block": len(self.blocks),
                    "sha256": sha256(text)})
        step["holds"] = step["status"] == step["expect"]
        return answer.status

    def paper(self, statement, reference, **tags):
        """A step the certificate takes from the paper, unchecked."""
        self._step("paper", statement, tags, reference=reference)

    def _step(self, kind, statement, tags, **fields):
        step = {"id": len(self.steps) + 1, "kind": kind,
                "statement": statement, **fields}
        for key, value in tags.items():
            if value is not None:
                step[key] = value
        self.steps.append(step)
        return step

    # ------------------------------------------------------ certificate

    def certificate(self, verdict):
        """The certificate of this claim, as a JSON-ready dict."""
        first = next(iter(self.mechanisms.values()), {})
        return sorted_keys({
            "format": FORMAT,
            "version": VERSION,
            "tools": tools(),
            "claim": self.claim,
            "mechanisms": self.mechanisms,
            "parts": self.parts,
            "tie_rule": first.get("tie_rule", "none needed"),
            "shapes": self.shapes,
            "domain": self.domain,
            "bounds": self.bounds,
            "evidence": {
                "steps": self.steps,
                "smtlib": (smtlib_name(self.claim["id"]) if self.blocks
                           else None),
            },
            "verdict": verdict,
            "milliseconds": round(
                (time.perf_counter() - self.started) * 1000),
        })


# ------------------------------------------------------------- the files

def certificate_name(claim_id):
    return f"{claim_id}.json"


def smtlib_name(claim_id):
    return f"{claim_id}.smt2.gz"


def smtlib_text(blocks):
    """Every query of a certificate as one SMT-LIB script: each block
    opens with a ``; query n:`` comment and ends with ``(reset)``, so
    ``zcat FILE | z3 -in`` answers them all in order."""
    parts = []
    for n, (statement, text) in enumerate(blocks, start=1):
        comment = " ".join(statement.split())
        parts.append(f"{BLOCK}{n}: {comment}\n{text}(reset)\n")
    return "".join(parts)


def read_blocks(text):
    """The queries of an SMT-LIB script written by :func:`smtlib_text`,
    each without its comment line and its ``(reset)``."""
    blocks = []
    for chunk in ("\n" + text).split("\n" + BLOCK)[1:]:
        body = chunk.partition("\n")[2].rstrip("\n")
        blocks.append(body.removesuffix("(reset)"))
    return blocks


def write(folder, cert, blocks):
    """Write ``cert`` (sorted JSON) and its SMT-LIB queries (gzip, with no
    time stamp, so an unchanged proof writes identical bytes) into
    ``folder``; return the paths written."""
    os.makedirs(folder, exist_ok=True)
    claim_id = cert["claim"]["id"]
    paths = []
    if blocks:
        path = os.path.join(folder, smtlib_name(claim_id))
        data = gzip.compress(smtlib_text(blocks).encode(), mtime=0)
        write_atomic(path, data)
        paths.append(path)
    path = os.path.join(folder, certificate_name(claim_id))
    write_atomic(path, dumps(cert).encode())
    paths.append(path)
    return paths


def dumps(cert):
    """``cert`` as JSON with sorted keys, indented, one step per line."""
    steps = cert["evidence"]["steps"]
    head = dict(cert, evidence=dict(cert["evidence"], steps=STEPS))
    text = json.dumps(head, sort_keys=True, indent=1)
    listed = "".join(f"\n  {json.dumps(step, sort_keys=True)},"
                     for step in steps).rstrip(",")
    return text.replace(json.dumps(STEPS), f"[{listed}\n  ]") + "\n"


def load(path):
    """The certificate at ``path`` as a dict."""
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def load_blocks(folder, name):
    """The SMT-LIB queries stored in ``folder``/``name``."""
    with gzip.open(os.path.join(folder, name), "rt",
                   encoding="utf-8") as stream:
        return read_blocks(stream.read())
