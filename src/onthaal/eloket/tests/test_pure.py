"""The pure cores: the structured communication, the form check, the CAMT.053 reader."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onthaal.eloket import camt, formspec, ogm


def test_the_example_communication_of_the_brief_is_valid_and_written_back_alike() -> None:
    assert ogm.normalise("+++123/4567/89002+++") == "123456789002"
    assert ogm.display("123456789002") == "+++123/4567/89002+++"
    assert ogm.make(1234567890) == "123456789002"


def test_a_wrong_check_digit_or_length_is_not_a_communication() -> None:
    assert ogm.normalise("+++123/4567/89003+++") is None
    assert ogm.normalise("123") is None
    assert ogm.normalise("") is None


@given(st.integers(min_value=0, max_value=10**10 - 1))
def test_every_made_communication_reads_back_with_checks_between_1_and_97(base: int) -> None:
    made = ogm.make(base)
    assert len(made) == 12
    assert 1 <= int(made[10:]) <= 97
    assert ogm.normalise(ogm.display(made)) == made


SPECS = [
    formspec.FieldSpec("name", "text", required=True),
    formspec.FieldSpec("kind", "choice", required=True, choices=("a", "b")),
    formspec.FieldSpec("detail", "text", required=True, show_when_key="kind", show_when_value="b"),
    formspec.FieldSpec("nn", "national_number"),
    formspec.FieldSpec("on", "date"),
    formspec.FieldSpec("agree", "checkbox", required=True),
    formspec.FieldSpec("photo", "file", required=True),
]


def test_a_missing_required_field_and_a_missing_file_are_each_named() -> None:
    checked = formspec.check(SPECS, {"kind": "a", "agree": True}, {})
    assert checked.errors == {
        "name": [formspec.MESSAGES["required"]],
        "photo": [formspec.MESSAGES["required"]],
    }


def test_a_hidden_field_is_not_required_and_a_shown_one_is() -> None:
    base = {"name": "x", "agree": "yes"}
    assert "detail" not in formspec.check(SPECS, {**base, "kind": "a"}, {"photo": 1}).errors
    assert "detail" in formspec.check(SPECS, {**base, "kind": "b"}, {"photo": 1}).errors


def test_a_wrong_national_number_is_refused_and_a_right_one_kept_as_digits() -> None:
    base = {"name": "x", "kind": "a", "agree": True}
    wrong = formspec.check(SPECS, {**base, "nn": "85.07.30-033.61"}, {"photo": 1})
    assert wrong.errors == {"nn": [formspec.MESSAGES["national_number"]]}
    right = formspec.check(SPECS, {**base, "nn": "85.07.30-033.28"}, {"photo": 1})
    assert right.valid and right.answers["nn"] == "85073003328"


def test_a_national_number_where_none_is_needed_is_refused_on_its_field() -> None:
    base = {"name": "x", "kind": "a", "agree": True}
    checked = formspec.check(
        SPECS, {**base, "nn": "85073003328"}, {"photo": 1}, national_number_allowed=False
    )
    assert checked.errors == {"nn": [formspec.MESSAGES["not_needed"]]}
    unknown = formspec.check(SPECS, {**base, "national_number": "85073003328"}, {"photo": 1})
    assert unknown.errors == {"national_number": [formspec.MESSAGES["not_needed"]]}


def test_json_schema_lists_required_fields_that_are_always_shown() -> None:
    schema = formspec.json_schema(SPECS, "t", lambda s: "")
    assert schema["required"] == ["name", "kind", "agree", "photo"]
    assert schema["properties"]["detail"]["x-show-when"] == {"field": "kind", "equals": "b"}
    assert schema["properties"]["kind"]["enum"] == ["a", "b"]


def camt_file(*entries: tuple[str, str, str]) -> bytes:
    """A CAMT.053.001.02 statement with credit entries (bank reference, amount, communication)."""
    rows = "".join(
        f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-27</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>
        <NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry>
        <Issr>BBA</Issr></Tp><Ref>{communication}</Ref></CdtrRefInf></Strd></RmtInf>
        </TxDtls></NtryDtls></Ntry>"""
        for ref, amount, communication in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-28T08:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-1</Id><Acct><Id><IBAN>BE68539007547034</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">12.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts></Ntry>
{rows}</Stmt></BkToCstmrStmt></Document>""".encode()


def test_camt_credits_are_read_with_their_structured_communication() -> None:
    parsed = camt.parse(camt_file(("R1", "25.00", "123456789002"), ("R2", "5", "nonsense")))
    assert parsed.identification == "STMT-1"
    assert parsed.iban == "BE68539007547034"
    assert [(e.reference, e.amount, e.communication) for e in parsed.entries] == [
        ("R1", Decimal("25.00"), "123456789002"),
        ("R2", Decimal("5.00"), None),
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-1.4 not xml",
        b"<html><body>hello</body></html>",
        b'<?xml version="1.0"?><Document><CstmrCdtTrfInitn/></Document>',
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Document>&a;</Document>',
    ],
)
def test_a_file_that_is_not_camt_053_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(camt.NotCamt):
        camt.parse(data)


def test_show_when_must_name_an_earlier_field_with_a_value_it_can_have() -> None:
    def spec(key: str, kind: str = "text", when: str = "", value: str = "", **kw: Any) -> Any:
        return formspec.FieldSpec(
            key=key, kind=kind, label=key, show_when_key=when, show_when_value=value, **kw
        )

    specs = [
        spec("reason", "choice", choices=("werk", "school")),
        spec("agree", "checkbox"),
        spec("photo", "file"),
        spec("school", when="reason", value="school"),  # fine
        spec("why", when="agree", value="yes"),  # fine
        spec("typo", when="raeson", value="school"),
        spec("early", when="late", value="x"),
        spec("late"),
        spec("me", when="me", value="x"),
        spec("upload", when="photo", value="x"),
        spec("bad_choice", when="reason", value="vakantie"),
        spec("bad_box", when="agree", value="ja"),
        spec("no_key", value="x"),
    ]
    assert formspec.show_when_problems(specs) == {
        "typo": "unknown",
        "early": "later",
        "me": "self",
        "upload": "file",
        "bad_choice": "value",
        "bad_box": "value",
        "no_key": "no_key",
    }
