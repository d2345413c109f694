"""Replies' adapters (issue 20): a text's MMS media from Twilio, and who texted whom."""

from typing import Any

import aiohttp
import asyncpg

from jobline_comms.service_layer.reply_ports import Fetched, MediaFetcher, ReplyRouting

CHUNK = 64 * 1024


class TwilioMedia(MediaFetcher):
    """Media URLs are fetched with the account's credentials (HTTP Basic, as Twilio asks
    when media access is protected), following Twilio's redirect to its storage. Only
    URLs on Twilio's API (``base_url``: the sandbox locally) are fetched: the URL is
    in a signed request, but a fetch anywhere else would still be ours to answer for."""

    def __init__(self, account_sid: str, auth_token: str, base_url: str, timeout: float) -> None:
        self._auth = aiohttp.BasicAuth(account_sid, auth_token)
        self._prefixes = tuple({base_url.rstrip("/") + "/", "https://api.twilio.com/"})
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def fetch(self, url: str, limit: int) -> Fetched:
        if not url.startswith(self._prefixes):
            return Fetched("", b"", None, f"not a Twilio media URL: {url[:200]}")
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.get(url, auth=self._auth) as answer,
            ):
                if answer.status != 200:
                    return Fetched("", b"", None, f"HTTP {answer.status}")
                data = bytearray()
                async for chunk in answer.content.iter_chunked(CHUNK):
                    data += chunk
                    if len(data) > limit:  # enough to know: the rest is never read
                        break
                size = answer.content_length or len(data)
                return Fetched(answer.content_type or "", bytes(data), size)
        except (aiohttp.ClientError, TimeoutError) as failure:
            return Fetched("", b"", None, f"{type(failure).__name__}: {failure}"[:500])


class PostgresReplyRouting(ReplyRouting):
    def __init__(self, pool: "asyncpg.Pool[Any]") -> None:
        self._pool = pool

    async def latest_tenant_texting(
        self, sender: str, phone: str, among: frozenset[str] | None
    ) -> str | None:
        tenant: str | None = await self._pool.fetchval(
            """SELECT tenant_id FROM comms.deliveries
                WHERE channel = 'sms' AND sender = $1 AND recipient = $2
                  AND ($3::text[] IS NULL OR tenant_id = ANY($3::text[]))
                ORDER BY created_at DESC LIMIT 1""",
            sender,
            phone,
            sorted(among) if among is not None else None,
        )
        return tenant
