from types import SimpleNamespace as NS

from ansinh.matching.holders import holder_matches, name_score, split_name


def test_split_name_folds_and_splits():
    assert split_name("Nguyễn Thị Ngọc Hoà") == ("NGUYEN", "THI NGOC", "HOA")
    assert split_name("Lê Đức") == ("LE", "", "DUC")
    assert split_name("") == ("", "", "")


def test_given_name_difference_is_not_accepted():
    # a full-name Jaro-Winkler would score 0.987
    assert name_score("NGUYEN VAN HOA", "Nguyễn Văn Hoan") < 0.9
    assert name_score("NGUYEN VAN HOA", "Nguyễn Văn Hòa") == 1.0


def test_holder_is_beneficiary_authorised_or_nobody():
    p = NS(full_name="Hoàng Thị Lan")
    assert holder_matches("HOANG THI LAN", p) == ("beneficiary", 1.0)
    assert holder_matches("HOANG LAN", p)[0] == "beneficiary"  # missing middle name
    who, score = holder_matches("VI VAN DUNG", p, [NS(full_name="Vi Văn Dũng")])
    assert who == "authorised" and score == 1.0
    who, score = holder_matches("TRAN VAN NAM", p, ["Vi Văn Dũng"])
    assert who is None and score < 0.9
