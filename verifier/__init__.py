"""dsic: decide whether a mechanism is dominant-strategy incentive
compatible, and hand back an exact profitable misreport when it is not."""

__version__ = "0.1.0"
