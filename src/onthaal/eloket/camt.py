"""Reading a bank statement in ISO 20022 CAMT.053 (``BkToCstmrStmt``): the credit entries
with their amount, booking date, the bank's reference and the remittance information
(structured: the Belgian structured communication; or free text). Pure, no Django.

The XML is parsed with defusedxml (no entities, no external references). Any version of the
message (camt.053.001.02 to .08) is read: elements are matched by their local name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from onthaal.eloket import ogm

MAX_BYTES = 20 * 1024 * 1024


class NotCamt(ValueError):
    """The file is not a CAMT.053 bank statement (the message says why)."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """One credit transaction of a statement."""

    reference: str  # the bank's reference of the transaction (AcctSvcrRef), or a made one
    amount: Decimal
    currency: str
    booked_on: dt.date | None
    communication: str | None  # the 12 digits when a valid structured communication is given
    text: str  # the remittance information as written
    debtor: str


@dataclasses.dataclass(frozen=True)
class Statement:
    identification: str
    iban: str
    entries: list[Entry]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element | None, *path: str) -> Element | None:
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c.tag) == name), None)
    return element


def _children(element: Element | None, name: str) -> list[Element]:
    if element is None:
        return []
    return [c for c in element if _local(c.tag) == name]


def _text(element: Element | None, *path: str) -> str:
    found = _child(element, *path) if path else element
    return (found.text or "").strip() if found is not None else ""


def _date(element: Element | None) -> dt.date | None:
    text = _text(element, "Dt") or _text(element, "DtTm")[:10]
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _amount(element: Element | None) -> tuple[Decimal, str] | None:
    if element is None:
        return None
    try:
        value = Decimal((element.text or "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0:
        return None
    return value.quantize(Decimal("0.01")), element.get("Ccy", "EUR")


def _remittance(tx: Element | None) -> tuple[str | None, str]:
    info = _child(tx, "RmtInf")
    texts: list[str] = []
    for strd in _children(info, "Strd"):
        ref = _text(strd, "CdtrRefInf", "Ref")
        if ref:
            texts.append(ref)
    texts += [_text(u) for u in _children(info, "Ustrd") if _text(u)]
    for text in texts:
        digits = ogm.normalise(text)
        if digits:
            return digits, " ".join(texts)
    return None, " ".join(texts)


def parse(data: bytes) -> Statement:
    """The statement in ``data``; ``NotCamt`` for anything that is not a CAMT.053 file."""
    if not data.strip():
        raise NotCamt("the file is empty")
    if len(data) > MAX_BYTES:
        raise NotCamt("the file is too large for a bank statement")
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise NotCamt(f"the file is not XML ({error.__class__.__name__})") from None
    if _local(root.tag) != "Document" or _child(root, "BkToCstmrStmt") is None:
        raise NotCamt("the XML is not a CAMT.053 bank statement (no BkToCstmrStmt)")
    statements = _children(_child(root, "BkToCstmrStmt"), "Stmt")
    if not statements:
        raise NotCamt("the bank statement holds no statement (Stmt)")
    entries: list[Entry] = []
    identification = ""
    iban = ""
    for stmt in statements:
        identification = identification or _text(stmt, "Id")
        iban = iban or _text(stmt, "Acct", "Id", "IBAN")
        for n, ntry in enumerate(_children(stmt, "Ntry"), start=1):
            if _text(ntry, "CdtDbtInd") != "CRDT":
                continue
            status = _text(ntry, "Sts", "Cd") or _text(ntry, "Sts")
            if status and status != "BOOK":
                continue
            booked = _date(_child(ntry, "BookgDt"))
            entry_ref = _text(ntry, "AcctSvcrRef") or f"{_text(stmt, 'Id')}/{n}"
            txs = [tx for d in _children(ntry, "NtryDtls") for tx in _children(d, "TxDtls")]
            if not txs:
                txs_or_entry: list[Any] = [None]
            else:
                txs_or_entry = txs
            for m, tx in enumerate(txs_or_entry, start=1):
                amount = _amount(_child(tx, "Amt") if tx is not None else None)
                if amount is None or len(txs_or_entry) == 1:
                    amount = amount or _amount(_child(ntry, "Amt"))
                if amount is None:
                    continue
                communication, text = _remittance(tx if tx is not None else ntry)
                reference = _text(tx, "Refs", "AcctSvcrRef") if tx is not None else ""
                if not reference:
                    reference = entry_ref if len(txs_or_entry) == 1 else f"{entry_ref}/{m}"
                entries.append(
                    Entry(
                        reference=reference[:100],
                        amount=amount[0],
                        currency=amount[1],
                        booked_on=booked,
                        communication=communication,
                        text=text[:300],
                        debtor=_text(tx, "RltdPties", "Dbtr", "Nm")[:200] if tx is not None else "",
                    )
                )
    return Statement(identification=identification[:100], iban=iban[:34], entries=entries)
