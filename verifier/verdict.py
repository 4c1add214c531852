"""What a check concludes: a verdict, its witness or proof, and statistics.

The four verdicts:

- REFUTED: an exact witness (profile, member, misreport, both outcomes,
  both utilities) re-evaluated on exact numbers.
- VERIFIED: the solver proved that no member gains by misreporting, for the
  stated shape, value box and tie rule.
- NONE_FOUND: sampling only, with counts; never said to be verified.
- UNKNOWN: the solver gave up; the reason and the setting to raise.
"""

from dataclasses import dataclass, field
from fractions import Fraction

REFUTED = "refuted"
VERIFIED = "verified"
NONE_FOUND = "no counterexample found"
UNKNOWN = "unknown"
VERDICTS = (REFUTED, VERIFIED, NONE_FOUND, UNKNOWN)


@dataclass(frozen=True)
class Box:
    """The value box: every member's value for every item lies in
    [low, high]. Misreports range over the same box."""

    low: Fraction
    high: Fraction

    def to_json(self):
        return {"low": str(self.low), "high": str(self.high)}

    @classmethod
    def from_json(cls, data):
        return cls(Fraction(data["low"]), Fraction(data["high"]))

    def describe(self):
        return f"values in [{self.low}, {self.high}]"


@dataclass
class Witness:
    """A profitable misreport, in exact numbers.

    ``profile`` holds every member's true value; member ``member`` of group
    ``group`` (both counted from 0) bids ``misreport`` instead of its value.
    ``robust`` is True when every comparison the mechanism makes at both
    profiles stays at least ``margin`` away from equality, False when the
    gain depends on a tie, None when not yet decided.
    """

    group: int
    member: int
    profile: tuple
    misreport: object
    truthful: object
    deviated: object
    utility_truthful: Fraction
    utility_deviated: Fraction
    robust: object = None
    margin: object = None

    @property
    def gain(self):
        return self.utility_deviated - self.utility_truthful

    @property
    def value(self):
        return self.profile[self.group][self.member]


@dataclass
class Phase:
    """Counts and time of one phase of a check (sampling, smt, shrink...)."""

    name: str
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)


@dataclass
class Result:
    """A proved or refuted statement beside the main verdict, such as
    "DSIC away from ties (margin 1/100)"."""

    statement: str
    status: str
    detail: str = ""


@dataclass
class Verdict:
    """The outcome of one check of one property."""

    status: str
    mechanism: str
    shape: object
    box: Box
    tie_rule: str
    prop: str = "dsic"
    witness: Witness = None
    phases: list = field(default_factory=list)
    results: list = field(default_factory=list)
    stop_reason: str = ""
    certificate: dict = None
    notes: list = field(default_factory=list)
    proof: list = None      # the solver's answers, all unsat, if verified
    unknown: object = None  # the first solver answer that was unknown

    def __post_init__(self):
        assert self.status in VERDICTS, self.status

    @property
    def refuted(self):
        return self.status == REFUTED

    @property
    def verified(self):
        return self.status == VERIFIED
