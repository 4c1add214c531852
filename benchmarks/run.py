"""Run the benchmarks and record their results in benchmarks/RESULTS.md.

    python benchmarks/run.py                 # every benchmarks/bench_*.py
    python benchmarks/run.py sampling        # only bench_sampling.py

The contract for a benchmark: a module ``benchmarks/bench_<name>.py`` with
a function ``run()`` that takes no arguments and returns a list of tables.
A table is a dict with

- ``"title"``: a string;
- ``"columns"``: the column headings, strings;
- ``"rows"``: lists of cells, one per column (strings or numbers, printed
  as they are, so format numbers in the benchmark);
- ``"notes"`` (optional): sentences printed under the table, such as how
  the figures were measured.

Each module's tables become one section of RESULTS.md, headed by the
module's name, the date, the command, the machine, and the Python, numpy
and z3 versions. A run of some modules replaces only their sections.
"""

import datetime
import importlib.util
import os
import platform
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
HEADING = "# Benchmark results\n\nWritten by `python benchmarks/run.py`.\n"


def main(argv):
    names = argv or sorted(p.stem[len("bench_"):]
                           for p in HERE.glob("bench_*.py"))
    sys.path.insert(0, str(HERE.parent))
    sections = _read_sections()
    for name in names:
        print(f"running bench_{name} ...", file=sys.stderr)
        started = time.perf_counter()
        tables = _load(name).run()
        seconds = time.perf_counter() - started
        sections[name] = _section(name, tables, seconds, argv)
        print(f"bench_{name} took {seconds:.1f} s", file=sys.stderr)
    RESULTS.write_text(HEADING + "".join(
        sections[name] for name in sorted(sections)))
    print(f"wrote {RESULTS}", file=sys.stderr)


def _load(name):
    path = HERE / f"bench_{name}.py"
    if not path.exists():
        known = ", ".join(sorted(p.stem[6:] for p in HERE.glob("bench_*.py")))
        sys.exit(f"no benchmark {path.name}: the benchmarks are {known}")
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _section(name, tables, seconds, argv):
    command = " ".join(["python benchmarks/run.py", *argv])
    lines = [f"\n<!-- section {name} -->\n## bench_{name}\n",
             f"Run {datetime.date.today()} with `{command}` in "
             f"{seconds:.1f} s on {environment()}.\n"]
    for table in tables:
        lines.append(markdown(table))
    return "\n".join(lines)


def markdown(table):
    """One table as Markdown: title, the table, its notes."""
    out = [f"### {table['title']}\n",
           "| " + " | ".join(table["columns"]) + " |",
           "|" + "---|" * len(table["columns"])]
    out += ["| " + " | ".join(str(cell) for cell in row) + " |"
            for row in table["rows"]]
    out += [""] + [f"- {note}" for note in table.get("notes", ())]
    return "\n".join(out) + "\n"


def environment():
    """The machine and the versions that decide the figures."""
    import numpy
    import z3
    return (f"{_cpu()} ({os.cpu_count()} cores), {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, "
            f"numpy {numpy.__version__}, z3 {z3.get_version_string()}")


def _cpu():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else platform.machine()


def _read_sections():
    """The sections already in RESULTS.md, by benchmark name."""
    if not RESULTS.exists():
        return {}
    parts = re.split(r"(?=\n<!-- section )", RESULTS.read_text())
    found = {}
    for part in parts[1:]:
        name = re.match(r"\n<!-- section (\S+) -->", part)
        if name:
            found[name.group(1)] = part
    return found


if __name__ == "__main__":
    main(sys.argv[1:])
