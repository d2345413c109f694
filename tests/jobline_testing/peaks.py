"""The most a service process held while a block ran: RSS and temp directory, sampled in
a thread every millisecond or so (a spooled upload lives only while its request does)."""

import threading
from types import TracebackType

from jobline_testing.services import ServiceProcess


class Peaks:
    """``with Peaks(service) as peaks: ...``, then ``peaks.rss`` and ``peaks.temp``: the
    growth over what the process held when the block began, at its highest."""

    def __init__(self, service: ServiceProcess, every: float = 0.001) -> None:
        self._service, self._every = service, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._rss0 = self._temp0 = 0
        self.rss = self.temp = 0

    def __enter__(self) -> "Peaks":
        self._rss0, self._temp0 = self._service.rss_bytes(), self._service.temp_bytes()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._take()  # and once more at the end, whatever the thread last saw

    def _sample(self) -> None:
        while not self._stop.wait(self._every):
            self._take()

    def _take(self) -> None:
        self.rss = max(self.rss, self._service.rss_bytes() - self._rss0)
        self.temp = max(self.temp, self._service.temp_bytes() - self._temp0)
