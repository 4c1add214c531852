"""Errors that reach the user as one line: the value, the rule, the fix."""


class DsicError(Exception):
    """Base of every error dsic reports to a user without a traceback."""


class InvalidShape(DsicError, ValueError):
    """A shape (group sizes, items, valuation class) breaks a rule."""


class InvalidProfile(DsicError, ValueError):
    """A profile of bids does not fit its shape or holds a bad bid."""


class InvalidOutcome(DsicError, ValueError):
    """An outcome is infeasible: an item twice, access without the item,
    a negative payment, or a number that is not exact."""


class InvalidArgument(DsicError, ValueError):
    """An argument of a check (value box, budget, seed, ...) is out of range."""


class MechanismError(DsicError):
    """A mechanism raised, returned the wrong thing, or did not return."""


class UnknownMechanism(DsicError, LookupError):
    """No catalogue entry or loadable function has the given name."""
