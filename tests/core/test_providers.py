"""ansinh.core.providers: the one table of payment providers (pure: no database, no Django)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ansinh.core import providers as P

SRC = Path(__file__).resolve().parents[2] / "src"


def test_every_provider_once_with_what_the_apps_need():
    assert list(P.ALL) == ["970405", "970415", "970418", "970436", "970449", "971005", "971011", "999888", "VNPOST"]
    for code, p in P.ALL.items():
        assert p.code == code
        assert p.kind in (P.BANK, P.MOBILE_MONEY, P.CASH)
        assert p.short_name and p.name
        if p.kind == P.CASH:
            assert p.lengths is None and not p.keywords
        else:
            lo, hi = p.lengths
            assert 6 <= lo <= hi <= 19
            assert p.keywords and all(k == k.upper() and k.isascii() for k in p.keywords)
            assert code.isdigit() and len(code) == 6  # a NAPAS BIN, as VietQR needs it


def test_kinds_and_derived_sets():
    assert P.ALL["971005"].kind == P.ALL["971011"].kind == P.MOBILE_MONEY
    assert P.ALL["999888"].kind == P.ALL["970405"].kind == P.BANK
    assert P.ALL[P.CASH_CODE].kind == P.CASH
    assert P.WALLET_CODES == ("971005", "971011")
    assert set(P.ACCOUNT_PROVIDERS) == set(P.ALL) - {P.CASH_CODE}
    assert all(p.phone_ok == (p.kind == P.MOBILE_MONEY) for p in P.ACCOUNT_PROVIDERS.values())


@pytest.mark.parametrize("written, code", [
    ("Agribank", "970405"),
    ("NH Nông nghiệp và PTNT huyện Hà Quảng", "970405"),
    ("Ngân hàng NN&PTNT", "970405"),
    ("vietinbank CN Cao Bằng", "970415"),
    ("Ngân hàng Công Thương", "970415"),
    ("BIDV", "970418"),
    ("Ngân hàng Đầu tư và Phát triển", "970418"),
    ("VCB", "970436"),
    ("Ngân hàng Ngoại thương", "970436"),
    ("Ngân hàng Liên Việt", "970449"),
    ("LPBank", "970449"),
    ("Lộc Phát", "970449"),
    ("Viettel Money", "971005"),
    ("viettel", "971005"),
    ("VNPT Money", "971011"),
    ("NH Chính sách xã hội", "999888"),
    ("NHCSXH huyện", "999888"),
])
def test_from_text_recognises_names_as_written(written, code):
    assert P.from_text(written) == code


@pytest.mark.parametrize("written", [None, "", "Ngân hàng Mặt Trăng", "Bưu điện", "VNPOST", "Tiền mặt"])
def test_from_text_unknown(written):
    assert P.from_text(written) is None


def test_from_text_first_provider_in_code_order_wins():
    # a text naming two providers is recognised as the first one in the table's order
    assert P.from_text("Agribank hoặc Vietcombank") == "970405"
    assert P.from_text("Viettel Money qua VBSP") == "971005"


def test_provider_of_codes_names_and_written_names():
    assert P.provider_of("970436") == "970436"
    assert P.provider_of(" 970436 ") == "970436"
    assert P.provider_of("Vietcombank") == "970436"
    assert P.provider_of("Ngân hàng TMCP Ngoại thương Việt Nam") == "970436"
    assert P.provider_of("ngân hàng chính sách xã hội") == "999888"
    assert P.provider_of("NH Nông nghiệp") == "970405"
    assert P.provider_of("Viettel Money") == "971005"
    # not an account provider: cash is not chosen for an account
    assert P.provider_of("VNPOST") is None
    assert P.provider_of("VNPost") is None
    assert P.provider_of("Ngân hàng Mặt Trăng") is None
    assert P.provider_of("") is None and P.provider_of(None) is None


def test_file_labels():
    assert P.file_label("970405") == "Agribank"
    assert P.file_label("971005") == "ViettelMoney"
    assert P.file_label("971011") == "VNPTMoney"
    assert P.file_label(P.CASH_CODE) == "VNPost"
    assert P.file_label("123456") == "123456"
    assert P.file_label("") == P.file_label(None) == "Khac"


def test_get():
    assert P.get("970418").short_name == "BIDV"
    assert P.get("nope") is None and P.get(None) is None


def test_the_module_is_pure():
    """Importing it in a fresh interpreter loads no Django and no other ansinh app."""
    code = ("import sys; import ansinh.core.providers; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django' or "
            "(m.startswith('ansinh.') and m.split('.')[1] not in ('core', 'text'))); print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"
