"""LLM summaries and answers through the OpenAI API, each sentence checked before it is shown.

Every call has its own timeout, all calls of one digest share a deadline, and each scope
(channel or server) has a daily token budget. Whatever goes wrong for an item (timeout, rate
limit, server error, malformed JSON, a sentence its sources do not support) that item is the
extractive summary, labelled with the reason; the digest never waits past its budget.

`client` (endpoint, retries, server health), `prompts` (templates and reply shapes), `budget`
(daily tokens), `drafts` (cited sentences and their rules), `summariser` and `answerer`.
"""

from bot.summarise.llm.answerer import LlmAnswerer
from bot.summarise.llm.budget import UsageBudget
from bot.summarise.llm.client import Deadline, LlmClient, LlmFailure, ServerHealth
from bot.summarise.llm.drafts import GroundingRules, default_loaded_finder
from bot.summarise.llm.prompts import PROMPT_NAMES, Prompts, bundled_prompts_dir, data_block
from bot.summarise.llm.summariser import AutoSummariser, LlmSummariser

__all__ = [
    "PROMPT_NAMES",
    "AutoSummariser",
    "Deadline",
    "GroundingRules",
    "LlmAnswerer",
    "LlmClient",
    "LlmFailure",
    "LlmSummariser",
    "Prompts",
    "ServerHealth",
    "UsageBudget",
    "bundled_prompts_dir",
    "data_block",
    "default_loaded_finder",
]
