"""The catalogue: complete mechanisms by name, and their building blocks.

Building blocks live in :mod:`mechanisms.aggregation`,
:mod:`mechanisms.upper` and :mod:`mechanisms.cost_sharing`; the entries in
:mod:`mechanisms.single_level` and :mod:`mechanisms.two_level`.
"""

import difflib

from verifier.errors import UnknownMechanism

from . import single_level, two_level

ENTRIES = (
    single_level.VICKREY,
    single_level.FIRST_PRICE,
    two_level.MECHANISM_1,
    two_level.MECHANISM_2,
    two_level.APPENDIX_A,
    two_level.APPENDIX_A_SUM,
    two_level.APPENDIX_A_MAX,
    two_level.FOOTNOTE_2,
    two_level.CROWDFUND,
)
CATALOGUE = {entry.name: entry for entry in ENTRIES}


def get(name):
    """The catalogue entry called ``name``, or UnknownMechanism with the
    closest names."""
    try:
        return CATALOGUE[name]
    except KeyError:
        close = difflib.get_close_matches(name, CATALOGUE, n=2, cutoff=0.5)
        hint = (f"did you mean {' or '.join(close)}?" if close
                else "see `dsic list`")
        raise UnknownMechanism(
            f"no catalogue entry named {name!r}: {hint}") from None
