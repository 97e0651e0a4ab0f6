"""Full-text search over the mail register: subject, correspondent, register number and the
text of the documents.

PostgreSQL: a ``tsvector`` column ``mail_mailitem.search_vector`` with a GIN index, built with
the text search configuration ``onthaal_dutch`` (Dutch stemming after ``unaccent``), queried
with ``websearch_to_tsquery``. SQLite (the embedded default): an FTS5 table ``mail_search``
(``unicode61`` without diacritics) whose rowid is the item's id. Both are made by the
migration ``0002_search``; neither is a model field, so the model is the same on both.

The query is only the text condition and its rank: the selectors combine it with the access
filter and the other filters in one query, so counting and paging never see an item the
reader may not (``selectors.search_items``).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField, FloatField
from django.db.models.expressions import RawSQL

WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


def _texts(item_id: int) -> tuple[str, str]:
    """(the item's heading text, its documents' text)."""
    from onthaal.mail.models import Document, MailItem

    item = MailItem.objects.select_related("correspondent").get(pk=item_id)
    heading = " ".join(
        p
        for p in [
            item.register_number,
            item.subject,
            item.correspondent.name if item.correspondent else "",
        ]
        if p
    )
    body = "\n".join(
        Document.objects.filter(item_id=item_id, destroyed_at__isnull=True).values_list(
            "text", flat=True
        )
    )
    return heading, body


def reindex(item_id: int) -> None:
    """Rebuild the search entry of one item (after registration, text recognition or
    destruction)."""
    heading, body = _texts(item_id)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE mail_mailitem SET search_vector ="
                " setweight(to_tsvector('onthaal_dutch', %s), 'A')"
                " || setweight(to_tsvector('onthaal_dutch', %s), 'B') WHERE id = %s",
                [heading, body, item_id],
            )
        else:
            cursor.execute("DELETE FROM mail_search WHERE rowid = %s", [item_id])
            cursor.execute(
                "INSERT INTO mail_search (rowid, heading, body) VALUES (%s, %s, %s)",
                [item_id, heading, body],
            )


def words(query: str) -> list[str]:
    return WORD.findall(query)[:MAX_WORDS]


def _fts5_query(query: str) -> str:
    # Every word must occur (a word may be the start of a longer one); quoted, so that no
    # FTS5 operator in the reader's text is obeyed.
    return " ".join('"{}"*'.format(w.replace('"', "")) for w in words(query))


# What a register number looks like to a reader (IN-2026-001653, uit-2026-45): only then is
# it also matched as itself, so that an ordinary word never makes the query read the
# register-number index as well as the text index.
REGISTER_NUMBER = re.compile(r"^\s*(IN|UIT)-\d{4}-\d{1,9}\s*$", re.IGNORECASE)


def _tsquery(query: str) -> str:
    """``websearch_to_tsquery`` of the query's words, with the words written into the
    statement as a constant rather than bound as a parameter.

    The plan depends on the words: a word that a fifth of the register has is best read
    newest first until a page is full, a rare one from the text index. A bound parameter lets
    PostgreSQL reuse a prepared statement's generic plan (``prepare_threshold``, ADR 0006),
    which guesses every word's frequency alike; at 1,000,000 items that plan read a year's
    items where the word's own plan read a few hundred (bench_mail, word and period: 552 ms
    against 14 ms). A constant is planned for what it is. The words are word characters
    only (``words``), quoted by the driver all the same."""
    text = " ".join(words(query))
    assert WORDS_ONLY.fullmatch(text), text
    literal = connection.ops.compose_sql("%s", [text])  # type: ignore[attr-defined]  # PostgreSQL's
    return f"websearch_to_tsquery('onthaal_dutch', {literal})"


WORDS_ONLY = re.compile(r"[\w ]*", re.UNICODE)


def matches(query: str) -> RawSQL:
    """The condition "the item matches ``query``": all of its words (PostgreSQL: after
    unaccent and Dutch stemming; SQLite: as the start of a word), or the register number."""
    if connection.vendor == "postgresql":
        condition = f"mail_mailitem.search_vector @@ {_tsquery(query)}"
        if REGISTER_NUMBER.match(query):
            # A register number (IN-2026-001653) is one token to the reader but several to
            # the Dutch parser: it is also matched as itself (index mail_item_number).
            return RawSQL(  # noqa: S611 — the words are a constant quoted by the driver
                f"({condition} OR mail_mailitem.register_number = %s)",
                [query.strip().upper()],
                output_field=BooleanField(),
            )
        return RawSQL(condition, [], output_field=BooleanField())  # noqa: S611 — as above
    return RawSQL(
        "mail_mailitem.id IN (SELECT rowid FROM mail_search WHERE mail_search MATCH %s)",
        [_fts5_query(query)],
        output_field=BooleanField(),
    )


def rank(query: str) -> RawSQL:
    """How well an item matches ``query``: higher is better. Only for a thousand rows at a
    time (``selectors.COUNT_AT_MOST``): it reads each row's text vector."""
    if connection.vendor == "postgresql":
        return RawSQL(  # noqa: S611 — the words are a constant quoted by the driver
            f"ts_rank(mail_mailitem.search_vector, {_tsquery(query)})",
            [],
            output_field=FloatField(),
        )
    # bm25 is lower for better matches.
    return RawSQL(
        "(SELECT -bm25(mail_search) FROM mail_search"
        " WHERE mail_search MATCH %s AND rowid = mail_mailitem.id)",
        [_fts5_query(query)],
        output_field=FloatField(),
    )


REINDEX_ALL_SQL = """
UPDATE mail_mailitem i SET search_vector =
    setweight(to_tsvector('onthaal_dutch', x.heading), 'A')
    || setweight(to_tsvector('onthaal_dutch', x.body), 'B')
  FROM (SELECT m.id, concat_ws(' ', m.register_number, m.subject, c.name) AS heading,
               coalesce((SELECT string_agg(d.text, ' ') FROM mail_document d
                          WHERE d.item_id = m.id AND d.destroyed_at IS NULL), '') AS body
          FROM mail_mailitem m
          LEFT JOIN mail_correspondent c ON c.id = m.correspondent_id
          {where}) x
 WHERE x.id = i.id
"""


def reindex_all(item_ids: Any = None) -> int:
    """Rebuild the entries of many items at once (the demo's bulk load)."""
    from onthaal.mail.models import MailItem

    ids = list(item_ids) if item_ids is not None else None
    if connection.vendor == "postgresql":
        sql = REINDEX_ALL_SQL.replace("{where}", "WHERE m.id = ANY(%s)" if ids is not None else "")
        with connection.cursor() as cursor:
            cursor.execute(sql, [ids] if ids is not None else [])
            return cursor.rowcount
    count = 0
    for pk in ids if ids is not None else MailItem.objects.values_list("pk", flat=True):
        reindex(pk)
        count += 1
    return count
