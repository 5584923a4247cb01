"""newsbot's Slack adapter (slack-bolt, async), as a package of small modules.

- `app`: `SlackAdapter`, the bolt app and its Socket Mode or HTTP connection.
- `listeners`: `/news` (ack, then a lazy listener), mentions, thread replies and direct
  messages, and the adapter's one error handler.
- `poster`: `SlackPoster`, the outbox's paced `Poster` for Slack.
- `client`: the Web API client and its retry policy (429s, dropped connections).
- `permissions`: who may manage a channel; whether newsbot can post in one.
- `render`: `Digest` / `Reply` -> Block Kit within Slack's limits, feed text escaped.
- `install`: the bot token of each workspace (one token, or OAuth installs).
- `payloads`: the raw Slack payload fields we read, and Slack's text format.

It only translates: a Slack request becomes a call on the core's `ChatCommands` port, and
the `Reply` or `Digest` that comes back becomes Block Kit.
"""

from adapters.slack_bot.app import SlackAdapter, check_settings
from adapters.slack_bot.client import make_web_client
from adapters.slack_bot.payloads import plain_text_of, question_text
from adapters.slack_bot.poster import ChannelPacer, SlackPoster

__all__ = [
    "ChannelPacer",
    "SlackAdapter",
    "SlackPoster",
    "check_settings",
    "make_web_client",
    "plain_text_of",
    "question_text",
]
