"""Named locks held until the end of the caller's transaction.

``lock_name("login", "bart")`` serialises every transaction that takes the same name, and only
those: on PostgreSQL a transaction-scoped advisory lock on the name's hash (two 32-bit keys: a
fixed one per namespace and the hash of the name, so namespaces never meet each other or the
audit chain's single-key lock); on SQLite the IMMEDIATE transaction already holds the
database's one write lock (ADR 0003), which serialises more than the name, and nothing more is
needed. Two names whose hashes collide wait for each other, which is harmless.
"""

from __future__ import annotations

import zlib

from django.db import connections

# One fixed key per namespace (any distinct non-zero 32-bit numbers).
NAMESPACES = {"login": 0x4C4F47, "sso": 0x53534F}


def lock_name(namespace: str, name: str, *, using: str = "default") -> None:
    """Take the lock on ``name`` in ``namespace`` for the rest of the current transaction."""
    connection = connections[using]
    assert connection.in_atomic_block, "the lock is held until the transaction ends"
    if connection.vendor == "sqlite":
        mode = connection.settings_dict.get("OPTIONS", {}).get("transaction_mode")
        assert mode == "IMMEDIATE", "SQLite transactions must begin IMMEDIATE (ADR 0003)"
        return
    key = zlib.crc32(name.encode()) - 2**31  # a signed 32-bit int, stable across processes
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [NAMESPACES[namespace], key])
