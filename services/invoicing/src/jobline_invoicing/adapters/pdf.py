"""HTML to PDF with WeasyPrint, loading nothing but the assets handed in."""

from collections.abc import Mapping

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from jobline_invoicing.domain.rendering import Drawn

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)


def _content_type(body: bytes) -> str:
    for magic, mime in _SIGNATURES:
        if body.startswith(magic):
            return mime
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    if b"<svg" in body[:1024]:
        return "image/svg+xml"
    return "application/octet-stream"


class AssetFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type hints
    """Serves the given ``url -> bytes`` assets; refuses every other URL (http, file,
    data, …), so a render never touches the network or the file system."""

    def __init__(self, assets: Mapping[str, bytes]) -> None:
        super().__init__(allowed_protocols=())
        self._assets = dict(assets)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:  # noqa: ARG002
        body = self._assets.get(url)
        if body is None:
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url!r}: invoices load only their own assets")
        return URLFetcherResponse(url, body, {"Content-Type": _content_type(body)})


def html_to_pdf(html: str, fetcher: AssetFetcher) -> Drawn:
    """Lay ``html`` out and write the PDF; ``pages`` is the laid-out page count.

    A URL the fetcher refuses leaves its resource out (WeasyPrint logs a warning) and
    ``fetcher.refused`` lists it; the rest of the document is drawn."""
    document = HTML(string=html, url_fetcher=fetcher).render()
    return Drawn(pdf=document.write_pdf(), pages=len(document.pages))
