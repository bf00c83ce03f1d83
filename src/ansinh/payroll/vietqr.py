"""VietQR payload (EMVCo merchant-presented QR, NAPAS 247 profile): a pure function.

Structure: 00 payload format "01" · 01 "11" static / "12" with amount · 38 merchant account
{00 GUID A000000727 · 01 {00 BIN · 01 account} · 02 service QRIBFTTA (to account)} ·
53 currency "704" · 54 amount · 58 country "VN" · 62 {08 purpose} · 63 CRC-16/CCITT-FALSE
(poly 0x1021, init 0xFFFF) over everything up to and including "6304", 4 uppercase hex.
"""
from __future__ import annotations

import binascii
import re

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"


def tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"tag {tag}: value longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE; ``binascii.crc_hqx`` is the same polynomial, unreflected, so with
    init 0xFFFF it is this CRC (checked against the bitwise reference in the tests)."""
    return binascii.crc_hqx(data, 0xFFFF)


def crc16_ccitt_false_bitwise(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def payload(bin_code: str, account: str, amount: int | None = None, purpose: str = "") -> str:
    if not re.fullmatch(r"\d{6}", bin_code or ""):
        raise ValueError(f"BIN {bin_code!r} is not 6 digits")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account or ""):
        raise ValueError(f"account {account!r}: 1-19 letters or digits")
    purpose = re.sub(r"[^0-9A-Za-z .\-/]", "", purpose or "")[:25]
    s = tlv("00", "01") + tlv("01", "12" if amount else "11")
    s += tlv("38", tlv("00", NAPAS_GUID) + tlv("01", tlv("00", bin_code) + tlv("01", account)) + tlv("02", TO_ACCOUNT))
    s += tlv("53", "704")
    if amount:
        s += tlv("54", str(int(amount)))
    s += tlv("58", "VN")
    if purpose:
        s += tlv("62", tlv("08", purpose))
    s += "6304"
    return s + f"{crc16_ccitt_false(s.encode('ascii')):04X}"


def parse(text: str) -> dict[str, str]:
    """Top-level TLV fields of a payload (for tests and checks)."""
    out, i = {}, 0
    while i < len(text):
        tag, n = text[i:i + 2], int(text[i + 2:i + 4])
        out[tag] = text[i + 4:i + 4 + n]
        i += 4 + n
    return out
