"""Whether a passage of the cited articles supports a sentence (see `span` for the rules)."""

from bot.summarise.support.check import SupportVerdict, check_support
from bot.summarise.support.passages import instruction_sentences, normalise
from bot.summarise.support.span import SpanThresholds

__all__ = [
    "SpanThresholds",
    "SupportVerdict",
    "check_support",
    "instruction_sentences",
    "normalise",
]
