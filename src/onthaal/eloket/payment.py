"""What the citizen needs to pay: the structured communication, the account, and the EPC QR
code (the European Payments Council's "SEPA credit transfer" code that banking apps read)."""

from __future__ import annotations

from decimal import Decimal

import segno
from segno import helpers

from onthaal.eloket import ogm


def epc_qr_svg(
    *, iban: str, bic: str, beneficiary: str, amount: Decimal, communication: str
) -> str:
    """The EPC QR code as inline SVG, with the structured communication as the creditor's
    reference (``+++...+++`` digits)."""
    qr: segno.QRCode = helpers.make_epc_qr(
        name=beneficiary[:70],
        iban=iban.replace(" ", ""),
        amount=amount,
        reference=communication,
        bic=bic or None,
        encoding="utf-8",
    )
    svg: str = qr.svg_inline(scale=4, title=ogm.display(communication))
    return svg
