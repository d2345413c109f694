"""The SMTP catcher standing in for SendGrid Inbound Parse (issue 20): mail to a reply+
address is posted in Inbound Parse's form, attachments included; other mail is not."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage

import aiosmtplib
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobline_sandboxes.smtp_catcher import SmtpCatcherSettings, start_smtp_catcher

pytestmark = pytest.mark.integration
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            if task.done():
                task.result()  # surface the start-up error
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_mail_to_a_reply_address_is_posted_as_inbound_parse_does(tmp_path):
    posted: list[dict] = []

    async def receive(request: Request) -> JSONResponse:
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            upload = form["attachment1"]
            fields["attachment1"] = (upload.filename, upload.content_type, await upload.read())
        posted.append(fields)
        return JSONResponse({})

    app = Starlette(routes=[Route("/parse/secret", receive, methods=["POST"])])
    async with serving(app, free_port()) as url:
        settings = SmtpCatcherSettings(
            port=free_port(), mail_dir=tmp_path / "mail", inbound_parse_url=f"{url}/parse/secret"
        )
        server = await start_smtp_catcher(settings)
        try:
            reply = EmailMessage()
            reply["From"] = "Dana <dana@example.com>"
            reply["To"] = "reply+acme@replies.test"
            reply["Subject"] = "Re: Your invoice"
            reply.set_content("Paid, thanks")
            reply.add_attachment(JPEG, maintype="image", subtype="jpeg", filename="receipt.jpg")
            other = EmailMessage()
            other["From"], other["To"], other["Subject"] = "a@example.com", "b@example.com", "x"
            other.set_content("not a reply")
            for msg, to in ((other, "b@example.com"), (reply, "reply+acme@replies.test")):
                await aiosmtplib.send(
                    msg,
                    sender="dana@example.com",
                    recipients=[to],
                    hostname="127.0.0.1",
                    port=settings.port,
                )
        finally:
            server.close()
            await server.wait_closed()
    [fields] = posted
    assert json.loads(fields["envelope"]) == {
        "to": ["reply+acme@replies.test"],
        "from": "dana@example.com",
    }
    assert (fields["to"], fields["subject"]) == ("reply+acme@replies.test", "Re: Your invoice")
    assert fields["text"].strip() == "Paid, thanks"
    assert fields["attachments"] == "1"
    assert json.loads(fields["attachment-info"])["attachment1"]["filename"] == "receipt.jpg"
    assert fields["attachment1"] == ("receipt.jpg", "image/jpeg", JPEG)
