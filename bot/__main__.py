"""`python -m bot` and the `newsbot` command.

A stop signal that arrives before newsbot has started anything (while Python is still
importing it) ends the process at once, quietly and with exit code 0: there is nothing to
shut down yet, and a KeyboardInterrupt traceback out of an import tells nobody anything.
Commands that handle stop signals themselves (`run`, from its first line) keep this quiet
exit until they take over; the others get Python's usual Ctrl-C back once parsed.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    os._exit(0)


def main() -> int:
    """Entry point of the `newsbot` console script and of `python -m bot`."""
    defaults = {sig: signal.signal(sig, _exit_quietly) for sig in _STOP_SIGNALS}
    from bot.cli import build_parser, run_parsed

    args = build_parser().parse_args()
    if not getattr(args, "handles_stop_signals", False):
        for sig, handler in defaults.items():
            signal.signal(sig, handler)
    return run_parsed(args)


if __name__ == "__main__":
    sys.exit(main())
