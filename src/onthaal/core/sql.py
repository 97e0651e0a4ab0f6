"""Hand-written SELECTs whose rows become model instances.

For the few statements on the path of every kiosk and desk request, where the ORM's
compilation of a query costs more than the database's work (ADR 0006). The columns are named
from the models' metadata, so a migration that adds a field changes the statement with it, and
each value goes through the field's converters as it would through the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)

BIGINT_MAX = 2**63 - 1


def is_key(value: int) -> bool:
    """Could ``value`` be a row's id? (Larger numbers fail as parameters on SQLite, where the
    ORM answers "no such row" instead.)"""
    return 0 < value <= BIGINT_MAX


class Columns(Generic[M]):
    """The concrete columns of ``model`` under the table alias ``alias``: ``sql`` for the
    SELECT list, ``instance`` to build the model from a row's slice."""

    def __init__(self, model: type[M], alias: str, prefix: str = "") -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.sql = ", ".join(f'"{alias}"."{prefix}{f.column}"' for f in self.fields)
        self._cols = [f.get_col(alias) for f in self.fields]
        self._pk = next(i for i, f in enumerate(self.fields) if f.primary_key)
        self._by_vendor: dict[str, list[tuple[int, Any, list[Any]]]] = {}

    def renamed(self, prefix: str) -> str:
        """The SELECT list with each column renamed ``<prefix><column>``: for a subquery whose
        columns come from several tables (read back with ``Columns(model, subquery alias,
        prefix)``)."""
        return ", ".join(
            f'"{self.alias}"."{f.column}" AS "{prefix}{f.column}"' for f in self.fields
        )

    def __len__(self) -> int:
        return len(self.fields)

    def instance(self, row: tuple[Any, ...], start: int, connection: Any) -> M | None:
        """The model in ``row[start:start + len(self)]``; None when its key is NULL (the
        right side of a LEFT JOIN that found nothing)."""
        values = list(row[start : start + len(self.fields)])
        if values[self._pk] is None:
            return None
        for i, col, converters in self._converters(connection):
            for converter in converters:
                values[i] = converter(values[i], col, connection)
        return self.model.from_db(connection.alias, self.names, values)

    def required(self, row: tuple[Any, ...], start: int, connection: Any) -> M:
        """The model in ``row[start:start + len(self)]``, of an inner join."""
        found = self.instance(row, start, connection)
        assert found is not None, f"{self.model.__name__}: no key in the row"
        return found

    def _converters(self, connection: Any) -> list[tuple[int, Any, list[Any]]]:
        """The columns that have converters on ``connection``'s database, with them."""
        found = self._by_vendor.get(connection.vendor)
        if found is None:
            found = []
            for i, col in enumerate(self._cols):
                converters = connection.ops.get_db_converters(col)
                converters += col.get_db_converters(connection)
                if converters:
                    found.append((i, col, converters))
            self._by_vendor[connection.vendor] = found
        return found


def split(row: tuple[Any, ...], columns: Sequence[Columns[Any]], connection: Any) -> list[Any]:
    """The models in ``row``, whose SELECT list is the ``sql`` of each of ``columns`` in turn:
    one model per ``Columns``, None where a LEFT JOIN found nothing."""
    found, start = [], 0
    for part in columns:
        found.append(part.instance(row, start, connection))
        start += len(part)
    return found
