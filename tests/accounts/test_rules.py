"""Pure rules of the campaign (no database)."""
from __future__ import annotations

import datetime as dt

import pytest

from ansinh.accounts import rules
from ansinh.accounts.rules import TargetPoint

D = dt.date


@pytest.mark.parametrize("provider,number,ok", [
    ("970405", "8300123456789", True),          # Agribank: 13 digits
    ("970405", "830012345678", False),          # 12 digits
    ("970405", "8300 1234 56789", True),        # spaces typed by people are dropped
    ("970436", "1012345678", True),             # Vietcombank 10
    ("970436", "10123456789012", False),        # 14 is too long for Vietcombank
    ("970418", "83012345678901", True),         # BIDV 14
    ("971005", "0912345678", True),             # Viettel Money: the phone number
    ("971011", "12345678", False),              # too short
    ("999888", "12A4567890", False),            # letters
    (None, "123456789", True),                  # unknown provider: generic 6–19 digits
    (None, "12345", False),
    ("970415", "", False),
])
def test_account_number_plausibility(provider, number, ok):
    assert (rules.check_account_number(provider, number) is None) is ok


def test_every_listed_bin_is_known():
    assert {"970405", "970415", "970418", "970436", "970449", "999888", "971005", "971011"} <= set(rules.PROVIDERS)
    assert rules.PROVIDERS["971005"].kind == "mobile_money"


def test_provider_of_names_and_bins():
    assert rules.provider_of("970436") == "970436"
    assert rules.provider_of("Vietcombank") == "970436"
    assert rules.provider_of("NH Nông nghiệp") == "970405"
    assert rules.provider_of("Viettel Money") == "971005"
    assert rules.provider_of("Ngân hàng Mặt Trăng") is None


def test_status_on_reconstructs_any_day():
    reg, conf, act, closed = D(2024, 3, 1), D(2024, 3, 20), D(2024, 4, 2), D(2025, 1, 10)
    assert rules.status_on(D(2024, 2, 29), reg, conf, act, closed) is None
    assert rules.status_on(D(2024, 3, 1), reg, conf, act, closed) == "registered"
    assert rules.status_on(D(2024, 3, 25), reg, conf, act, closed) == "confirmed"
    assert rules.status_on(D(2024, 12, 31), reg, conf, act, closed) == "active"
    assert rules.status_on(D(2025, 1, 10), reg, conf, act, closed) == "closed"
    assert rules.status_on(D(2024, 5, 1), reg) == "registered"


def test_stage_dates_must_not_go_backwards():
    assert rules.check_stage_dates(D(2024, 3, 1), D(2024, 2, 1)) is not None
    assert rules.check_stage_dates(D(2024, 3, 1), None, None, D(2024, 1, 1)) is not None
    assert rules.check_stage_dates(D(2024, 3, 1), D(2024, 3, 1), D(2024, 3, 2)) is None


@pytest.mark.parametrize("bank,name,ok", [
    ("NGUYEN THI DAO", "Nguyễn Thị Đào", True),
    ("NGUYEN DAO", "Nguyễn Thị Đào", True),          # middle name left out by the bank
    ("NGUYEN VAN DAO", "Nguyễn Thị Đào", False),     # another middle name
    ("TRAN THI DAO", "Nguyễn Thị Đào", False),       # another family name
    ("NGUYEN THI HOA", "Nguyễn Thị Đào", False),     # another given name
    ("HOANG VAN A", "Hoàng Văn A", True),
    ("", "Hoàng Văn A", False),
])
def test_holder_name_check(bank, name, ok):
    assert rules.holder_matches(bank, name) is ok


def test_target_in_force_is_the_next_deadline():
    pts = [TargetPoint(D(2024, 1, 1), None, None, 3.04), TargetPoint(D(2024, 6, 30), 30, 40),
           TargetPoint(D(2024, 12, 31), 70, 80)]
    assert rules.target_in_force(D(2024, 2, 1), pts).low == 30
    assert rules.target_in_force(D(2024, 6, 30), pts).high == 40
    assert rules.target_in_force(D(2024, 7, 1), pts).low == 70
    assert rules.target_in_force(D(2025, 9, 1), pts).low == 70   # the last target stays in force
    assert rules.target_in_force(D(2024, 2, 1), pts[:1]) is None


def test_share_and_band():
    assert rules.share(1, 3) == 33.3 and rules.share(0, 0) == 0.0
    assert rules.band(20, 30, 40) == "below"
    assert rules.band(35, 30, 40) == "within"
    assert rules.band(45, 30, 40) == "above"
    assert rules.band(45, None, None) == "none"


def test_month_ends_stop_at_the_end_day():
    assert rules.month_ends(D(2024, 1, 1), D(2024, 3, 15)) == [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 15)]
    assert rules.month_ends(D(2024, 11, 5), D(2025, 1, 31))[-2:] == [D(2024, 12, 31), D(2025, 1, 31)]


def test_demo_curve_passes_the_targets_on_average():
    from ansinh.accounts.demo import commune_factor, demo_registration_day

    n = 20000
    units = list(range(1, 201))
    by_june = sum(1 for pid in range(n) if (d := demo_registration_day(pid, units[pid % 200])) and d <= D(2024, 6, 30))
    by_dec = sum(1 for pid in range(n) if (d := demo_registration_day(pid, units[pid % 200])) and d <= D(2024, 12, 31))
    by_jan = sum(1 for pid in range(n) if (d := demo_registration_day(pid, units[pid % 200])) and d <= D(2024, 1, 31))
    assert 1.5 <= 100 * by_jan / n <= 5
    assert 30 <= 100 * by_june / n <= 40
    assert 70 <= 100 * by_dec / n <= 80
    lag = [u for u in units if commune_factor(u) < 0.8]
    assert 10 <= len(lag) <= 70  # some communes lag behind
    assert demo_registration_day(123, 5) == demo_registration_day(123, 5)  # deterministic
