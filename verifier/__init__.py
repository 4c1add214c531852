"""dsic: decide whether a mechanism is dominant-strategy incentive
compatible, and hand back an exact profitable misreport when it is not."""

__version__ = "0.1.0"


def __getattr__(name):
    # assert_dsic is loaded on first use, so importing verifier stays light
    if name == "assert_dsic":
        from .assertions import assert_dsic
        return assert_dsic
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
