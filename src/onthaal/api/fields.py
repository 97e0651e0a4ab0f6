"""Serializer fields that the public contract needs and DRF does not give as such."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time *with its offset* (the API's contract). DRF would read a time without
    one in the server's time zone; here it is a 400 on the field (``naive``), because the
    client's idea of "09:00" is not ours to guess."""

    default_error_messages = {
        "naive": _("Give the time with its offset, e.g. 2027-03-24T09:00:00+01:00."),
    }

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        result: dt.datetime = super().enforce_timezone(value)
        return result


class IdField(serializers.IntegerField):
    """The id of a record: a whole number from 1 to the largest a database key holds (2^63 - 1,
    PostgreSQL's bigint and SQLite's INTEGER). A bigger one is a 400 on the field, not an
    overflow when the database is asked for it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)
