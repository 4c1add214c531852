"""A progress bar on stderr for long phases, only on a terminal.

A phase calls ``bar(done, total)`` as it goes. Nothing is drawn until the
phase has run for :data:`DELAY` seconds, so short checks print nothing;
when the stream is not a terminal, nothing is drawn at all.
"""

import sys
import time

DELAY = 1.0      # seconds before a bar appears
EVERY = 0.1      # seconds between redraws
WIDTH = 30


class Bar:
    """Callable ``(done, total)``: draws ``label [####    ] done/total``."""

    def __init__(self, label, stream=None, clock=time.monotonic):
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.started = clock()
        self.drawn_at = None
        self.on = _is_terminal(self.stream)

    def __call__(self, done, total):
        if not self.on:
            return
        now = self.clock()
        if now - self.started < DELAY:
            return
        if self.drawn_at is not None and now - self.drawn_at < EVERY:
            return
        self.drawn_at = now
        self.stream.write("\r" + line(self.label, done, total))
        self.stream.flush()

    def close(self):
        """Erase the bar, if one was drawn."""
        if self.drawn_at is not None:
            self.stream.write("\r" + " " * (WIDTH + 40) + "\r")
            self.stream.flush()
            self.drawn_at = None


def line(label, done, total):
    """One line of the bar."""
    share = min(max(done / total, 0.0), 1.0) if total else 0.0
    filled = round(share * WIDTH)
    return (f"{label} [{'#' * filled}{' ' * (WIDTH - filled)}] "
            f"{done}/{total}")


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
