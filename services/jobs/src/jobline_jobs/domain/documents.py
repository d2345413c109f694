"""What may be uploaded as a job's or property's photo or document.

The content type is taken from the file's first bytes, not from what the client
claims, and the stored name is only ever a label: storage keys are made of ids.
"""

import re
import unicodedata
from enum import StrEnum

from jobline_jobs.domain.errors import InvalidRequest


class DocumentKind(StrEnum):
    PROGRESS_PHOTO = "progress_photo"
    FINISHED_PHOTO = "finished_photo"
    DOCUMENT = "document"


IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
DOCUMENT_TYPES = {**IMAGE_TYPES, "application/pdf": ".pdf"}


def sniff(head: bytes) -> str | None:
    """The content type the file's magic bytes show, among those we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def checked_type(kind: DocumentKind, head: bytes) -> str:
    """The upload's real content type, or InvalidRequest saying why it is refused."""
    found = sniff(head)
    allowed = IMAGE_TYPES if kind is not DocumentKind.DOCUMENT else DOCUMENT_TYPES
    if found is None or found not in allowed:
        raise InvalidRequest(
            f"a {kind.value} must be {', '.join(sorted(allowed))}; this file is"
            f" {found or 'none of those'}"
        )
    return found


def safe_filename(name: str | None, content_type: str) -> str:
    """A display name without directories, control characters or surprises."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if c.isprintable()).strip(" .")
    return base[:200] or f"upload{DOCUMENT_TYPES[content_type]}"
