"""VietQR payload against the EMVCo/NAPAS structure, written out by hand here."""
from __future__ import annotations

import binascii
import io

from ansinh.payroll import vietqr


def test_crc_check_value():
    # CRC-16/CCITT-FALSE catalogue check value of "123456789" is 0x29B1.
    assert vietqr.crc16_ccitt_false(b"123456789") == 0x29B1
    assert vietqr.crc16_ccitt_false_bitwise(b"123456789") == 0x29B1


def test_fast_crc_matches_the_bitwise_reference():
    for data in (b"", b"A", b"6304", vietqr.payload("970405", "100200300", 750_000, "TCXH 2024-12")[:-4].encode()):
        assert vietqr.crc16_ccitt_false(data) == vietqr.crc16_ccitt_false_bitwise(data)


def test_payload_by_hand():
    body = ("000201"            # payload format indicator 01
            "010212"            # dynamic (amount given)
            "3857"              # merchant account information, 57 characters:
            "0010A000000727"    # GUID NAPAS
            "0127" "0006970436" "0113" "0011001932418"  # beneficiary: BIN 970436 + account
            "0208QRIBFTTA"      # service: transfer to account
            "5303704"           # VND
            "5406500000"        # amount
            "5802VN"
            "6304")
    crc = binascii.crc_hqx(body.encode(), 0xFFFF)  # independent CRC-CCITT implementation, init 0xFFFF
    assert vietqr.payload("970436", "0011001932418", 500_000) == body + f"{crc:04X}"
    fields = vietqr.parse(vietqr.payload("970436", "0011001932418", 500_000))
    assert fields["53"] == "704" and fields["58"] == "VN" and fields["54"] == "500000"


def test_payload_with_purpose_and_static():
    p = vietqr.payload("970405", "1234567890", None, "TCXH 2024-12")
    assert p.startswith("000201010211")
    assert "6216" + "0812TCXH 2024-12" in p
    assert "54" not in vietqr.parse(p)


def test_rendered_qr_decodes_with_zxing():
    import segno
    import zxingcpp
    from PIL import Image

    text = vietqr.payload("970418", "21510001234567", 750_000, "TCXH 2024-07")
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=4, border=4)
    buf.seek(0)
    decoded = zxingcpp.read_barcodes(Image.open(buf).convert("L"))
    assert [d.text for d in decoded] == [text]
