"""Issue 12 (exports): the payroll cash-list PDF shows amounts with Vietnamese grouping."""
from __future__ import annotations


def test_cash_list_pdf_groups_amounts_and_total(make_person, commune, users, tmp_path):
    """The payroll cash list: every amount and the total grouped; years and line ids are not amounts."""
    from pypdf import PdfReader

    from ansinh.payroll import approval

    from ansinh.payroll import generate

    maker, checker = users
    for name in ("Lò Thị Mai", "=1+1 Hoa", "Nông Văn An"):
        make_person(enrolments=[("tcxh", "5.6-severe", "2024-07")], name=name)
    run = generate.generate("2024-07", commune=commune, user=maker)
    approval.approve(run, checker)
    pdf = next(p for p in approval.export(run, tmp_path, user=checker, pdf=True) if p.suffix == ".pdf")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert text.count("750.000") == 3 and "2.250.000" in text and "750000" not in text
    assert "1980" in text  # the year of birth stays a year
    assert "=1+1 Hoa" in text and "'=1+1" not in text  # a PDF prints a name as it is (no spreadsheet quote)
