"""The connection type adapters accept: a plain connection or one borrowed from a pool."""

from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A string: asyncpg's classes are generic only in their stubs, not at run time.
Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
