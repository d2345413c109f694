"""The comms service's blob store: the shared obstore adapter behind comms' port."""

from jobline_comms.service_layer.ports import Blobs
from jobline_comms.service_layer.reply_ports import ReplyFiles
from jobline_infra import blob_store


class BlobStore(blob_store.BlobStore, Blobs, ReplyFiles):
    """Attachments by blob key, as the email sender reads them; replies' files, as they
    come in (issue 20)."""
