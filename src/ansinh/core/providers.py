"""Payment providers: the one home of every fact about them (pure, no Django).

A provider is a bank (by its NAPAS BIN), a Mobile Money e-wallet (by the code NAPAS lists for
it) or the post office that pays cash (``VNPOST``). For each one: its code, short and full
display names, its kind, the keywords that recognise it in the free text of commune lists and
bank lists, the plausible account-number length range (accounts.rules checks
numbers against it) and whether a phone number may stand for the account (Mobile Money).

Every app reads providers here: the registry import recognises the bank column
(:func:`from_text`), the accounts app checks numbers and reads bank lists
(:data:`ACCOUNT_PROVIDERS`, :func:`provider_of`), payroll chooses the channel
(:data:`WALLET_CODES`, :data:`CASH_CODE`) and names its files (:func:`file_label`).
Add a provider or widen a range here, without touching code paths.
"""
from __future__ import annotations

from dataclasses import dataclass

from ansinh.text import fold

BANK, MOBILE_MONEY, CASH = "bank", "mobile_money", "cash"
CASH_CODE = "VNPOST"  # the payroll lines without an account are paid in cash at the post office
UNKNOWN_LABEL = "Khac"  # the file label of a line whose provider is not known


@dataclass(frozen=True)
class Provider:
    code: str                 # NAPAS BIN (or the code NAPAS lists for the provider); CASH_CODE for cash
    short_name: str
    name: str
    kind: str                 # BANK | MOBILE_MONEY | CASH
    keywords: tuple[str, ...] = ()  # folded (upper case, no diacritics) substrings of names as written
    lengths: tuple[int, int] | None = None  # plausible account-number length range (inclusive)
    phone_ok: bool = False    # a Mobile Money account may be the subscriber's phone number

    @property
    def file_label(self) -> str:
        """The provider in the names of payroll files (no spaces): "ViettelMoney"."""
        return self.short_name.replace(" ", "")


# In code order: free text is recognised by the first provider (in this order) one of whose
# keywords it contains.
ALL: dict[str, Provider] = {p.code: p for p in (
    Provider("970405", "Agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam", BANK,
             ("AGRIBANK", "NONG NGHIEP", "NN&PTNT", "NN PTNT", "VBARD"), (13, 13)),
    Provider("970415", "VietinBank", "Ngân hàng TMCP Công thương Việt Nam", BANK,
             ("VIETINBANK", "CONG THUONG", "VIETIN"), (9, 14)),
    Provider("970418", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam", BANK,
             ("BIDV", "DAU TU VA PHAT TRIEN"), (10, 14)),
    Provider("970436", "Vietcombank", "Ngân hàng TMCP Ngoại thương Việt Nam", BANK,
             ("VIETCOMBANK", "NGOAI THUONG", "VCB"), (10, 13)),
    Provider("970449", "LPBank", "Ngân hàng TMCP Lộc Phát Việt Nam", BANK,
             ("LPBANK", "LIENVIET", "LIEN VIET", "LOC PHAT", "LPB"), (9, 15)),
    Provider("971005", "Viettel Money", "Viettel Money (Mobile Money)", MOBILE_MONEY,
             ("VIETTEL MONEY", "VIETTELMONEY", "VIETTEL"), (9, 13), phone_ok=True),
    Provider("971011", "VNPT Money", "VNPT Money (Mobile Money)", MOBILE_MONEY,
             ("VNPT MONEY", "VNPTMONEY", "VNPT"), (9, 13), phone_ok=True),
    Provider("999888", "VBSP", "Ngân hàng Chính sách xã hội", BANK,
             ("VBSP", "CHINH SACH XA HOI", "NHCSXH"), (10, 14)),
    # Cash at the post office: no account, and not recognised in a list's bank column.
    Provider(CASH_CODE, "VNPost", "Tổng công ty Bưu điện Việt Nam", CASH),
)}

# The providers an account may be held with (banks and e-wallets): the accounts app's choices.
ACCOUNT_PROVIDERS: dict[str, Provider] = {c: p for c, p in ALL.items() if p.kind != CASH}
# Lines paid to an account with one of these go by the payroll channel "ewallet", other accounts "bank".
WALLET_CODES: tuple[str, ...] = tuple(c for c, p in ALL.items() if p.kind == MOBILE_MONEY)


def get(code: str | None) -> Provider | None:
    return ALL.get(code or "")


def from_text(text: str | None) -> str | None:
    """The provider's code from a bank name as written in a list ("NH Nông nghiệp huyện X",
    "VCB", "Viettel Money"), by keyword; None when no keyword is found."""
    if not text:
        return None
    k = fold(text)
    for p in ALL.values():
        if any(key in k for key in p.keywords):
            return p.code
    return None


def provider_of(text: str | None) -> str | None:
    """An account provider's code from its code, its short or full name, or a written bank
    name (:func:`from_text`); None when unknown."""
    if not text:
        return None
    t = text.strip()
    if t in ACCOUNT_PROVIDERS:
        return t
    k = fold(t)
    for p in ACCOUNT_PROVIDERS.values():
        if fold(p.short_name) == k or fold(p.name) == k:
            return p.code
    return from_text(t)


def file_label(code: str | None) -> str:
    """The provider in the names of payroll files: its label, else the code as it is, else "Khac"."""
    p = get(code)
    return p.file_label if p else (code or UNKNOWN_LABEL)
