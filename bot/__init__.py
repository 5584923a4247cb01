"""newsbot: neutral news digests that name their sources, for Discord and Slack."""

__version__ = "0.1.0"
