"""Reading a service's Prometheus counters over HTTP, for figures per message."""

import httpx
from prometheus_client.parser import text_string_to_metric_families


def counter_total(url: str, name: str) -> float:
    """The sum of every sample of counter ``name`` (without ``_total``) at ``url``/metrics."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == name
        for sample in family.samples
        if sample.name == f"{name}_total"
    )
