"""Migrations on a database that already holds deliveries: 0005 renames (``state`` to
``status``, ``processed_commands`` to ``processed_messages``) and fills each delivery's
decoded command from the envelope it keeps."""

from importlib.resources import files
from pathlib import Path

import asyncpg
import pytest

from jobline_comms.adapters.delivery_rows import command_of
from jobline_comms.adapters.migrate import migrate
from jobline_comms.entrypoints.translate import to_command
from jobline_contracts.codec import decode
from jobline_contracts.topics import COMMS_COMMANDS
from jobline_testing.databases import fresh_database

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[4] / "contracts/examples/comms.commands.v1"
MIGRATIONS = files("jobline_comms.adapters.migrations")


async def before_0005(conn: asyncpg.Connection) -> None:
    """The schema as 0001-0004 left it, recorded as applied."""
    await conn.execute(
        "CREATE SCHEMA comms; CREATE TABLE comms.schema_migrations (version integer PRIMARY KEY,"
        " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    earlier = sorted(m.name for m in MIGRATIONS.iterdir() if m.name[:4].isdigit())
    for name in (n for n in earlier if n < "0005"):
        await conn.execute((MIGRATIONS / name).read_text())
        await conn.execute(
            "INSERT INTO comms.schema_migrations VALUES ($1, $2)", int(name[:4]), name
        )


async def test_0005_keeps_every_delivery_and_deduplication_record(infra):
    async with fresh_database(infra.database_url) as url:
        conn = await asyncpg.connect(url)
        try:
            await before_0005(conn)
            commands: dict = {}
            for example in ("sms.send.v1.json", "email.send.v1.json"):
                raw = (EXAMPLES / example).read_bytes()
                envelope = decode(COMMS_COMMANDS, raw)
                cmd = to_command(envelope)
                commands[cmd.delivery_id] = cmd
                await conn.execute(
                    "INSERT INTO comms.deliveries (delivery_id, tenant_id, communication_id,"
                    " channel, recipient, sender, state, command, source_topic,"
                    " source_partition, source_offset) VALUES ($1, $2, $3, $4, $5, 'x',"
                    " 'queued', $6, $7, 0, 1)",
                    cmd.delivery_id,
                    cmd.tenant_id,
                    cmd.communication_id,
                    "sms" if example.startswith("sms") else "email",
                    cmd.to,
                    raw,
                    COMMS_COMMANDS.name,
                )
                await conn.execute(
                    "INSERT INTO comms.processed_commands (message_id, delivery_id)"
                    " VALUES ($1, $2)",
                    envelope.message_id,
                    cmd.delivery_id,
                )

            assert (await migrate(conn))[0] == "0005_one_vocabulary.sql"  # and any later ones

            rows = await conn.fetch(
                "SELECT delivery_id, tenant_id, communication_id, channel, recipient, status,"
                " content FROM comms.deliveries"
            )
            assert {r["status"] for r in rows} == {"queued"}
            assert {r["delivery_id"]: command_of(r) for r in rows} == commands
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM comms.processed_messages WHERE consumer = 'comms'"
                )
                == 2
            )
        finally:
            await conn.close()
