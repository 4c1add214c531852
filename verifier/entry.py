"""Catalogue entries: a mechanism with its source and declared claims."""

from dataclasses import dataclass, field

from .model import Shape

PROPERTIES = ("dsic", "budget_balance", "individual_rationality",
              "equal_treatment")
PROPERTY_NAMES = {
    "dsic": "DSIC",
    "budget_balance": "budget balance",
    "individual_rationality": "individual rationality",
    "equal_treatment": "equal treatment",
    "no_positive_transfers": "no positive transfers",
    "feasibility": "feasibility",
}


@dataclass(frozen=True)
class Entry:
    """A named, complete mechanism as the catalogue lists it.

    ``claims`` maps each property of PROPERTIES to what the source claims:
    True (holds), False (fails) or None (the source says nothing).
    """

    name: str
    mechanism: object
    summary: str
    source: str
    claims: dict = field(default_factory=dict)
    shape: Shape = Shape((2, 2))

    def __post_init__(self):
        unknown = set(self.claims) - set(PROPERTIES)
        assert not unknown, f"{self.name}: unknown claims {sorted(unknown)}"

    def claim(self, prop):
        return self.claims.get(prop)

    def describe_claims(self):
        words = []
        for prop in PROPERTIES:
            said = self.claims.get(prop)
            if said is not None:
                words.append(("" if said else "not ") + PROPERTY_NAMES[prop])
        return ", ".join(words) or "no claims"


def claims(dsic=None, budget_balance=None, individual_rationality=None,
           equal_treatment=None):
    return {"dsic": dsic, "budget_balance": budget_balance,
            "individual_rationality": individual_rationality,
            "equal_treatment": equal_treatment}
