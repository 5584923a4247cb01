"""Every chat command, platform-neutral: adapters translate, this package decides.

One module per group of commands (`subscriptions`, `summaries`, `settings`, `status`), the
text syntax in `parsing`, and `Commands` (in `text`), which joins them and reads commands
typed as text. `bot.app` builds the one `Commands`; adapters see it as `ChatCommands`.
"""

from bot.channels.commands.parsing import HELP, refusal
from bot.channels.commands.text import Commands
from bot.config import MAX_ITEMS

__all__ = ["HELP", "MAX_ITEMS", "Commands", "refusal"]
