"""Running a plain-Python mechanism under guard.

A black box may crash, return something infeasible, or never return.
:func:`time_limited` bounds every call; :func:`preflight` runs it once at
each end of the value box so that such a mechanism is named at once, with
the profile, before a long search starts.
"""

import signal
import threading
from dataclasses import replace

from .errors import DsicError, MechanismError
from .mechanism import format_profile, run_guarded


#: Seconds a plain mechanism may take per profile, unless told otherwise.
DEFAULT_CALL_TIMEOUT = 5.0


class CallTimedOut(BaseException):
    """A plain mechanism did not return in time. A BaseException, so that
    neither the mechanism's own ``except Exception`` nor a phase that
    turns crashes into errors can swallow it."""

    def __init__(self, name, seconds, profile, option="--call-timeout"):
        self.name, self.seconds, self.profile = name, seconds, profile
        super().__init__(
            f"{name} did not return within {seconds:g} s at profile "
            f"{format_profile(profile)}: make it return, or raise "
            f"{option}")


def time_limited(mechanism, seconds, option="--call-timeout"):
    """``mechanism`` with every call of a plain rule limited to
    ``seconds`` (a SIGALRM timer, so only in the main thread); a call that
    runs out raises :class:`CallTimedOut`, whose message names ``option``
    as the setting to raise."""
    if not mechanism.plain:
        return mechanism
    rule, name = mechanism.rule, mechanism.name

    def limited(profile):
        if threading.current_thread() is not threading.main_thread():
            return rule(profile)

        def expire(signum, frame):
            raise CallTimedOut(name, seconds, profile, option)

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return rule(profile)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    limited.__wrapped__ = rule      # where the user's code is
    return replace(mechanism, rule=limited)


def preflight(mechanism, shape, box):
    """Run the mechanism at two truthful profiles (everyone at the low and
    at the high end of the box), so that a mechanism which rejects the
    shape, raises or returns an infeasible outcome is named at once."""
    for value in (box.low, box.high):
        bid = (value,) * shape.items if shape.multi_item else value
        profile = tuple((bid,) * size for size in shape.groups)
        try:
            run_guarded(mechanism, shape, profile)
        except DsicError as error:
            if isinstance(error, MechanismError):
                raise
            raise type(error)(
                f"{error} (at profile {format_profile(profile)})") from error
