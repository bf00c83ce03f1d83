"""Spreadsheet exports: user data must never become a live formula.

A cell whose text starts with = + - @, a tab or a carriage return is read as a formula (or DDE
command) by Excel, LibreOffice and openpyxl (`ws.append("=…")` writes a formula). Every CSV and
XLSX writer that emits user data passes its cells through `safe_cell` / `safe_row`: such text gets
a leading single quote (OWASP, "CSV Injection"), numbers stay numbers, and text that is a plain
number ("-5", "+84912345678") or a bare dash ("-", the usual "nothing here") is left as it is.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")
_DASHES = re.compile(r"-+ *")  # "-", "--": the usual "nothing here" of a list, not a formula


def safe_cell(value):
    """`value` unchanged unless it is text a spreadsheet would read as a formula; then "'" + text."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value) or _DASHES.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable) -> list:
    return [safe_cell(v) for v in values]
