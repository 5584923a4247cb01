"""The prompt templates (`prompts/*.md`), how they are filled, and the JSON shapes asked for."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

PROMPT_NAMES = ("system", "story_summary", "digest_headline", "answer")
# Used only with `llm.verify`; a prompts_dir without it gets the bundled one, so folders
# written before it existed keep working.
OPTIONAL_PROMPT_NAMES = ("verify",)


@dataclass(frozen=True)
class Prompts:
    """The prompt templates, read from `prompts/*.md`."""

    system: str
    story_summary: str
    digest_headline: str
    answer: str
    verify: str

    @classmethod
    def load(cls, folder: str | Path = "") -> Prompts:
        """Read the templates from `folder`, or from the bundled `prompts/` when empty."""
        where = Path(folder) if folder else bundled_prompts_dir()
        texts: dict[str, str] = {}
        for name in PROMPT_NAMES:
            path = where / f"{name}.md"
            try:
                texts[name] = path.read_text(encoding="utf-8").strip()
            except OSError:
                raise ConfigError(
                    f"prompt template {path} cannot be read; set llm.prompts_dir to a folder "
                    f"holding {', '.join(n + '.md' for n in PROMPT_NAMES)}."
                ) from None
        for name in OPTIONAL_PROMPT_NAMES:
            path = where / f"{name}.md"
            if not path.is_file():
                path = bundled_prompts_dir() / f"{name}.md"
            try:
                texts[name] = path.read_text(encoding="utf-8").strip()
            except OSError:
                raise ConfigError(f"prompt template {path} cannot be read.") from None
        return cls(**texts)


def bundled_prompts_dir() -> Path:
    """`prompts/` of a source checkout (editable install), else the installed copy."""
    candidates = (
        Path(__file__).resolve().parents[3] / "prompts",
        Path(sys.prefix) / "share" / "newsbot" / "prompts",
    )
    for candidate in candidates:
        if (candidate / "system.md").is_file():
            return candidate
    return candidates[0]


def render(template: str, **values: str) -> str:
    """Fill `{{name}}` placeholders (braces of JSON examples stay as they are)."""
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", value)
    return template


def chat_messages(system: str, user: str, *, system_role: bool) -> list[dict[str, str]]:
    """The rules and the task; the rules go first in the user turn when there is no system role."""
    if system_role:
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return [{"role": "user", "content": f"{system}\n\n{user}"}]


def data_block(payload: dict[str, Any]) -> str:
    """Article data as JSON in which `<` and `>` are escaped, so no text can close the block."""
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def sentences_schema(ids: Sequence[str], *, min_items: int, max_items: int) -> dict[str, Any]:
    """A list of {text, sources} where sources name only the given article ids.

    The bounds and the id enum matter to grammar-constrained servers (llama.cpp): without
    them a small model closes the list at once or invents ids until it runs out of tokens.
    """
    return {
        "type": "array",
        "minItems": min_items,
        "maxItems": max_items,
        "items": {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "sources": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": len(ids),
                    "items": {"type": "string", "enum": list(ids)},
                },
            },
            "required": ["text", "sources"],
            "additionalProperties": False,
        },
    }


def summary_schema(ids: Sequence[str], max_sentences: int) -> dict[str, Any]:
    """The reply of a story summary: a headline and 1..max_sentences cited sentences."""
    return {
        "type": "object",
        "properties": {
            "headline": {"type": "string"},
            "sentences": sentences_schema(ids, min_items=1, max_items=max_sentences),
        },
        "required": ["headline", "sentences"],
        "additionalProperties": False,
    }


def answer_schema(ids: Sequence[str], max_sentences: int) -> dict[str, Any]:
    """The reply to a question: found, and up to max_sentences cited sentences."""
    return {
        "type": "object",
        "properties": {
            "found": {"type": "boolean"},
            "sentences": sentences_schema(ids, min_items=0, max_items=max_sentences),
        },
        "required": ["found", "sentences"],
        "additionalProperties": False,
    }


def verify_schema(count: int) -> dict[str, Any]:
    """The reply of a second opinion: one verdict per sentence, by index."""
    return {
        "type": "object",
        "properties": {
            "verdicts": {
                "type": "array",
                "minItems": count,
                "maxItems": count,
                "items": {
                    "type": "object",
                    "properties": {
                        "index": {"type": "integer"},
                        "supported": {"type": "boolean"},
                    },
                    "required": ["index", "supported"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["verdicts"],
        "additionalProperties": False,
    }
