"""Reading the sandboxes' settings from the environment, with clear messages."""

from collections.abc import Mapping


def env_int(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    """An integer setting; a malformed or out-of-range value stops start-up with its name."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_str(environ: Mapping[str, str], name: str, default: str) -> str:
    """A string setting; empty counts as unset."""
    return environ.get(name, "").strip() or default
