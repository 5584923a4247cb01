"""Who may manage a channel, asked of Slack on every call.

The core decides what a manager may do; the adapter only says who is one: workspace admins
and owners, and members of the configured user group.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_bot.client import error_code

log = logging.getLogger(__name__)


async def caller_can_manage(
    client: AsyncWebClient, user_id: str, admin_usergroup: str | None
) -> bool:
    """Workspace admins and owners, and members of the configured user group."""
    try:
        info = await client.users_info(user=user_id)
    except SlackApiError as error:
        log.warning("slack: users.info for %s failed: %s", user_id, error_code(error))
        return False
    user = info.get("user") or {}
    if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
        return True
    if not admin_usergroup:
        return False
    try:
        members = await client.usergroups_users_list(usergroup=admin_usergroup)
    except SlackApiError as error:
        log.warning(
            "slack: usergroups.users.list %s failed: %s", admin_usergroup, error_code(error)
        )
        return False
    return user_id in (members.get("users") or [])
