"""The paper's claims as checked certificates.

One module per claim of "When Bidders Are DAOs" (Bahrani, Garimidi,
Roughgarden). Each has ``CLAIM`` (its id, the paper's reference and
statement, and what is checked), ``build(record)``, which runs the solver
and the exact evaluations and records every step, and ``conclude(steps)``,
which draws the verdict from the recorded steps alone, so that the checker
(:mod:`proofs.check`) draws it again without a solver.

The certificates live in ``proofs/certificates``: ``<claim>.json`` and,
beside it, ``<claim>.smt2.gz`` with every solver query. ``proofs/README.md``
is generated from them.

    reproduce(progress=None)  rebuild every certificate, write them and
                              the README; one row per claim
    check_all()               re-check the stored certificates exactly

:func:`proofs.solving.answer_again` asks z3 the stored queries again, for
whoever wants more than the exact checker's word that they are there.
"""

import os
import time

from . import (
    appendix_a, check, evidence, footnote_2, lemma_3_3, readme,
    section_4_2, theorem_3_1, theorem_3_2, theorem_3_4, theorem_4_1,
)

CLAIMS = (theorem_3_1, lemma_3_3, theorem_3_2, theorem_3_4, theorem_4_1,
          section_4_2, appendix_a, footnote_2)
FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "certificates")
README = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "README.md")


def module_of(claim_id):
    """The module of the claim called ``claim_id``."""
    for module in CLAIMS:
        if module.CLAIM["id"] == claim_id:
            return module
    raise KeyError(f"no claim called {claim_id!r}: the claims are "
                   f"{', '.join(m.CLAIM['id'] for m in CLAIMS)}")


def build(module, **bounds):
    """The certificate of one claim and its SMT-LIB queries, built now;
    ``bounds`` override the module's defaults (smaller, for tests)."""
    record = evidence.Record(module.CLAIM)
    module.build(record, **bounds)
    return record.certificate(module.conclude(record.steps)), record.blocks


def reproduce(progress=None, folder=FOLDER, readme_path=README):
    """Rebuild every claim's certificate, write them into ``folder`` and
    regenerate the README; one row per claim. ``progress(done, total)``
    hears after each claim."""
    rows = []
    for done, module in enumerate(CLAIMS):
        started = time.perf_counter()
        cert, blocks = build(module)
        evidence.write(folder, cert, blocks)
        rows.append(row(cert, time.perf_counter() - started))
        if progress is not None:
            progress(done + 1, len(CLAIMS))
    readme.write(readme_path, stored(folder))
    return rows


def check_all(folder=FOLDER):
    """Re-check every stored certificate with exact arithmetic only; one
    row per claim, ``result`` "ok: ..." or "rejected: ..."."""
    rows = []
    for module in CLAIMS:
        path = os.path.join(folder,
                            evidence.certificate_name(module.CLAIM["id"]))
        report = check.check_file(path)
        cert = evidence.load(path) if os.path.exists(path) else None
        rows.append({
            "claim": module.CLAIM["id"],
            "reference": module.CLAIM["reference"],
            "checked": report.summary if report.ok else "",
            "bounds": cert["bounds"] if cert else "",
            "result": ("ok: " + cert["verdict"]["result"]) if report.ok
            else report.summary,
            "seconds": round(report.seconds, 2),
            "problems": report.problems,
        })
    return rows


def stored(folder=FOLDER):
    """The stored certificates, in the order of CLAIMS (missing skipped)."""
    certs = []
    for module in CLAIMS:
        path = os.path.join(folder,
                            evidence.certificate_name(module.CLAIM["id"]))
        if os.path.exists(path):
            certs.append(evidence.load(path))
    return certs


def row(cert, seconds):
    """The row of one freshly built certificate."""
    return {"claim": cert["claim"]["id"],
            "reference": cert["claim"]["reference"],
            "checked": cert["claim"]["checked"],
            "bounds": cert["bounds"],
            "result": cert["verdict"]["result"],
            "seconds": round(seconds, 1)}
