"""The platform-neutral bot: commands, the daily digest job, exactly-once delivery, questions.

`bot.app` wires these parts together (the composition root); nothing here imports it back.
Adapters call the core through `bot.channels.ports.ChatCommands`.
"""
