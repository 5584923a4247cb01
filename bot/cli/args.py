"""Argument types shared by the `newsbot` subcommands."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# Longer spans overflow the dates they are added to (or the parser itself); nobody means them.
_LONGEST = timedelta(weeks=520)


def parse_duration(value: str) -> timedelta:
    """ "90m", "24h", "3d", "1w" -> timedelta; an argparse `type=`."""
    match = _DURATION.match(value)
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a duration; use a number and m, h, d or w, e.g. 24h"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds > _LONGEST.total_seconds():
        raise argparse.ArgumentTypeError(f"{value!r} is too long; the longest is 520w (10 years)")
    return timedelta(seconds=seconds)
