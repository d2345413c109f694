"""The console as a browser drives it in-process, and a clock tests move by hand."""

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from jobline_testing.accounts import PASSWORD


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class Browser:
    """The console's forms as a browser posts them: CSRF cookie and field, same Origin."""

    def __init__(self, app: FastAPI, address: str = "198.51.100.2") -> None:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://jobs.test")

    async def post(self, path: str, **fields: str) -> httpx.Response:
        if "jobline_csrf" not in self.http.cookies:
            await self.http.get("/login")
        form = {**fields, "csrf_token": self.http.cookies["jobline_csrf"]}
        return await self.http.post(path, data=form, headers={"Origin": "http://jobs.test"})

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.post("/login", email=email, password=password)

    async def signed_in(self) -> bool:
        page = await self.http.get("/console/account")
        return page.status_code == 200
