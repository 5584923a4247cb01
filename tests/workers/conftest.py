"""The fake Discord fixture of the Discord adapter tests, for the Discord sender's test."""

from tests.adapters.discord.conftest import fake_discord

__all__ = ["fake_discord"]
