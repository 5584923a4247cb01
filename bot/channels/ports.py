"""The one port every chat adapter calls: platform event in, `Reply` out.

Discord, Slack, the console and the web dashboard all talk to the core through this
protocol, so an adapter never copies the core's signatures. `bot.channels.commands.Commands`
is the one implementation; tests may pass any object with these methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.models import Caller, ChannelRef, Digest, Reply


class ChatCommands(Protocol):
    """Every chat command, typed (slash-command options) and as text (`execute`)."""

    async def subscribe(
        self,
        where: ChannelRef,
        caller: Caller,
        target: str,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> Reply: ...

    async def unsubscribe(self, where: ChannelRef, caller: Caller, target: str) -> Reply: ...

    async def list_subscriptions(self, where: ChannelRef) -> Reply: ...

    async def feed_choices(self, where: ChannelRef, prefix: str) -> list[str]: ...

    async def summary(
        self,
        where: ChannelRef,
        caller: Caller,
        *,
        topic: str | None = None,
        feed: str | None = None,
        hours: int = 24,
    ) -> Reply: ...

    async def digest_now(self, where: ChannelRef, caller: Caller) -> Reply: ...

    async def digest_posted(
        self, where: ChannelRef, digest: Digest, message_ids: Sequence[str]
    ) -> None:
        """A digest asked for (`digest_now`, `summary`) was posted as these messages (the
        first opens its thread): a reply under any of them is a question about it."""
        ...

    async def ask(
        self, where: ChannelRef, caller: Caller, question: str, *, thread_id: str | None = None
    ) -> Reply: ...

    async def settings(
        self, where: ChannelRef, caller: Caller, changes: Mapping[str, str]
    ) -> Reply: ...

    async def status(self, where: ChannelRef, article: str | None = None) -> Reply: ...

    async def execute(
        self, where: ChannelRef, caller: Caller, text: str, *, thread_id: str | None = None
    ) -> Reply:
        """A command typed as text (`subscribe URL include:a,b`); refusals come back as a Reply."""
        ...
