"""The console entry point starts each sandbox as its own process."""

import asyncio
import os
import signal
import socket
import sys
from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest

pytestmark = pytest.mark.integration
DEADLINE_S = 20.0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def start(command, env):
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jobline_sandboxes.cli", command, env={**os.environ, **env}
    )


async def stop(process):
    process.terminate()
    # uvicorn re-raises the signal once its graceful shutdown is done.
    assert await asyncio.wait_for(process.wait(), DEADLINE_S) in {0, -signal.SIGTERM}


async def test_twilio_subcommand_serves_until_terminated():
    port = free_port()
    process = await start("twilio", {"JOBLINE_SANDBOX_TWILIO_PORT": str(port)})
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(DEADLINE_S):
            while True:
                assert process.returncode is None, "the sandbox exited"
                try:
                    answer = await http.get(f"http://127.0.0.1:{port}/readyz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
        assert answer.json() == {"status": "ok"}
    finally:
        await stop(process)


async def test_smtp_subcommand_stores_mail_until_terminated(tmp_path):
    port = free_port()
    env = {"JOBLINE_SANDBOX_SMTP_PORT": str(port), "JOBLINE_SANDBOX_MAIL_DIR": str(tmp_path)}
    process = await start("smtp", env)
    msg = EmailMessage()
    msg["Subject"] = "hello"
    msg.set_content("hello")
    try:
        async with asyncio.timeout(DEADLINE_S):
            while True:
                assert process.returncode is None, "the catcher exited"
                try:
                    await aiosmtplib.send(
                        msg, sender="a@example.com", recipients=["b@example.com"], port=port
                    )
                    break
                except aiosmtplib.SMTPConnectError:
                    await asyncio.sleep(0.05)
    finally:
        await stop(process)
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_malformed_setting_exits_with_its_name(monkeypatch, capsys):
    from jobline_sandboxes.cli import main  # noqa: PLC0415

    monkeypatch.setenv("JOBLINE_SANDBOX_SMTP_PORT", "x")
    with pytest.raises(SystemExit) as exited:
        main(["smtp"])
    assert exited.value.code == 2
    assert "JOBLINE_SANDBOX_SMTP_PORT" in capsys.readouterr().err
