"""Category mapping (Decree 20/2021 Art. 5 + ND176 + Art. 20)."""
from decimal import Decimal

import pytest

from ansinh.registry.categories import (
    CATEGORIES,
    CATEGORY_LABELS,
    base_code,
    coefficient,
    disability_severity,
    map_category,
)
from ansinh.registry.demo_people import CATEGORY_LABEL_VARIANTS, UNMAPPABLE_LABELS


@pytest.mark.parametrize(
    "label, code",
    [
        ("Người cao tuổi từ đủ 80 tuổi", "5.5c"),
        ("NCT ≥80 không lương hưu", "5.5c"),
        ("NCT trên 80 tuổi", "5.5c"),
        ("NCT >= 80 tuổi", "5.5c"),
        ("Người từ đủ 80 tuổi trở lên không có lương hưu", "5.5c"),
        ("Người khuyết tật nặng", "5.6-severe"),
        ("NKT nặng", "5.6-severe"),
        ("NKT đặc biệt nặng", "5.6-very-severe"),
        ("Người khuyết tật đặc biệt nặng", "5.6-very-severe"),
        ("NKT ĐBN", "5.6-very-severe"),
        ("NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", "5.6-very-severe"),
        ("Người khuyết tật", "5.6"),
        ("Trẻ em mồ côi", "5.1"),
        ("Trẻ mồ côi cả cha và mẹ", "5.1"),
        ("TE mồ côi", "5.1"),
        ("Trẻ em bị bỏ rơi", "5.1"),
        ("Người đơn thân nghèo nuôi con", "5.4"),
        ("Người cao tuổi hộ nghèo không người phụng dưỡng", "5.5a"),
        ("NCT cô đơn hộ nghèo", "5.5a"),
        ("Người nhiễm HIV hộ nghèo", "5.8"),
        ("Người nhiễm HIV/AIDS thuộc hộ nghèo", "5.8"),
        ("Trẻ em nhiễm HIV", "5.3"),
        ("NCT 75-80 tuổi hộ nghèo vùng DTTS", "5.5b"),
        ("Người cao tuổi từ 75 đến dưới 80 tuổi hộ cận nghèo", "5.5b"),
        ("Trẻ em dưới 3 tuổi hộ nghèo", "5.7"),
        ("Người từ 16 đến 22 tuổi đang đi học", "5.2"),
        ("Hưu trí xã hội", "ND176"),
        ("Trợ cấp hưu trí xã hội", "ND176"),
        ("Hộ gia đình chăm sóc NKT đặc biệt nặng", "ART20"),
        ("Hỗ trợ chăm sóc, nuôi dưỡng", "ART20"),
        ("NCT được hộ gia đình nhận chăm sóc", "5.5d"),
        ("Người cao tuổi", "5.5"),
        ("5.5c", "5.5c"),
        ("K6", None),
        ("Khoản 5 Điều 5 điểm c", "5.5c"),
        ("khoản 1 điều 5", "5.1"),
        ("  nct   TRÊN 80  tuổi ", "5.5c"),
        ("Người cao tuổi tu du 80 tuoi", "5.5c"),   # typed without diacritics
    ],
)
def test_map_category(label, code):
    assert map_category(label) == code


@pytest.mark.parametrize("label", ["", None, "Đối tượng khác", "BTXH", "Hộ nghèo", "Diện chính sách",
                                   "Chưa xác định", "abc"])
def test_unmappable(label):
    assert map_category(label) is None


def test_demo_labels_all_map_back():
    for code, labels in CATEGORY_LABEL_VARIANTS.items():
        for label in labels:
            assert map_category(label) == code, label
    for label in UNMAPPABLE_LABELS:
        assert map_category(label) is None, label


def test_tables():
    assert set(CATEGORY_LABELS) == set(CATEGORIES)
    for code in ("5.1", "5.2", "5.3", "5.4", "5.5a", "5.5b", "5.5c", "5.5d", "5.6-severe",
                 "5.6-very-severe", "5.7", "5.8", "ND176", "ART20"):
        assert CATEGORIES[code].complete
        assert CATEGORY_LABELS[code]
    assert not CATEGORIES["5.5"].complete and not CATEGORIES["5.6"].complete
    assert base_code("5.6-severe") == "5.6" and base_code("5.5c") == "5.5" and base_code("ND176") == "ND176"
    assert disability_severity("5.6-very-severe") == "very_severe"
    assert disability_severity("5.6-severe") == "severe"
    assert disability_severity("5.5c") is None


@pytest.mark.parametrize(
    "code, age, coef",
    [
        ("5.6-very-severe", 40, "2.0"), ("5.6-very-severe", 85, "2.5"), ("5.6-very-severe", 10, "2.5"),
        ("5.6-severe", 40, "1.5"), ("5.6-severe", 70, "2.0"),
        ("5.1", 3, "2.5"), ("5.1", 4, "1.5"), ("5.3", 2, "2.5"), ("5.3", 10, "2.0"),
        ("5.5a", 70, "1.5"), ("5.5a", 80, "2.0"), ("5.5b", 76, "1.0"), ("5.5c", 85, "1.0"),
        ("5.5d", 70, "3.0"), ("5.7", 1, "1.5"), ("5.8", 30, "1.5"), ("5.2", 18, "1.5"), ("5.4", 30, "1.0"),
    ],
)
def test_coefficient(code, age, coef):
    assert coefficient(code, age) == Decimal(coef)


def test_coefficient_undetermined():
    assert coefficient("5.6", 40) is None
    assert coefficient("5.1") is None
    assert coefficient("ND176", 80) is None
