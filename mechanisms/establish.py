"""What dsic established about each catalogue entry, kept beside its claims.

``python -m mechanisms.establish`` checks every entry (or the ones named)
on its default shape with values in [0, 10], writes each verdict's
certificate to ``mechanisms/certificates/NAME.json`` and the summary to
``mechanisms/established.json``. ``dsic list`` shows the summary beside the
claims the entry's source makes; the tests re-check every certificate.
"""

import json
import sys
import time
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).parent
RECORD = HERE / "established.json"
CERTIFICATES = HERE / "certificates"
BOX = (Fraction(0), Fraction(10))


def established(name):
    """The stored record for entry ``name``, or None."""
    if not RECORD.exists():
        return None
    return json.loads(RECORD.read_text()).get(name)


def summary(record):
    """One phrase: the verdict, whether a refutation needs a tie, and what
    was proved away from ties."""
    if record is None:
        return "not yet checked"
    if record["verdict"] != "refuted" or record.get("robust") is not False:
        robust = " (robust)" if record.get("robust") else ""
        return "DSIC " + record["verdict"] + robust
    words = "DSIC refuted at a tie"
    for result in record.get("results", []):
        away = result["statement"].replace("DSIC ", "", 1)
        words += f"; {away}: {result['status']}"
    return words


def establish(names, seed=0, out=sys.stdout):
    """Check the named entries and store their verdicts and certificates."""
    from verifier import certificate
    from verifier.search import check
    from verifier.verdict import Box

    from . import CATALOGUE

    records = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    CERTIFICATES.mkdir(exist_ok=True)
    for name in names:
        entry = CATALOGUE[name]
        started = time.perf_counter()
        verdict = check(entry.mechanism, entry.shape, Box(*BOX), seed=seed,
                        target=name)
        seconds = time.perf_counter() - started
        path = CERTIFICATES / f"{name}.json"
        certificate.write(path, verdict.certificate)
        records[name] = _record(entry, verdict, path, seed)
        print(f"{name}: {summary(records[name])} ({seconds:.1f} s)",
              file=out)
    RECORD.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n")
    return records


def _record(entry, verdict, path, seed):
    witness = verdict.witness
    return {
        "verdict": verdict.status,
        "shape": entry.shape.to_json(),
        "domain": verdict.box.to_json(),
        "robust": None if witness is None else witness.robust,
        "results": [{"statement": r.statement, "status": r.status}
                    for r in verdict.results],
        "certificate": path.relative_to(HERE).as_posix(),
        "seed": seed,
        "stop_reason": verdict.stop_reason,
    }


if __name__ == "__main__":
    from . import CATALOGUE
    establish(sys.argv[1:] or list(CATALOGUE))
