"""The issuer's addresses are fetched through ``PublicOnly``: a host that is, or resolves
to, an address of this network is refused before anything is sent to it."""

import httpx
import pytest

from jobline_jobs.adapters.issuer_cache import IssuerCache
from jobline_jobs.adapters.public_http import PublicOnly
from jobline_jobs.service_layer.sign_on_ports import IssuerUnreachable

pytestmark = pytest.mark.unit

PRIVATE = [
    "https://127.0.0.1/",  # this machine
    "https://localhost:5432/",  # a name for it
    "https://10.1.2.3/",
    "https://192.168.0.10/",
    "https://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
    "https://[::1]/",
    "https://[fd00::1]/",
]


@pytest.mark.parametrize("url", PRIVATE)
async def test_private_addresses_are_refused_before_connecting(url):
    async with httpx.AsyncClient(transport=PublicOnly()) as client:
        with pytest.raises(httpx.ConnectError, match="is not a public address"):
            await client.get(url)


async def test_an_issuer_on_this_network_is_unreachable_outside_development():
    with pytest.raises(IssuerUnreachable, match="not a public address"):
        await IssuerCache().metadata("https://10.0.0.5")
