"""Demo organisations and users for the reference province (Lạng Sơn, code 20).

Organisations and who-decides are data: the Department of Health holds social
protection since 2025-03-01; commune chairmen decide allowances since 2025-07-01.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from ansinh.core.models import Organisation, OrgKind, Role
from ansinh.core.services import current_unit, upsert_user

DEMO_PASSWORD = "ansinh-demo"
DEMO_PROVINCE = "20"  # Lạng Sơn: the demo's province (data of the demo, not a default of the app)

ORGS = [
    # key, name, short, symbol, kind, unit code, functions, valid_from, valid_to
    ("so_ldtbxh", "Sở Lao động - Thương binh và Xã hội tỉnh Lạng Sơn", "Sở LĐTBXH", "SLĐTBXH",
     OrgKind.DEPARTMENT, DEMO_PROVINCE, ["social_protection"], None, dt.date(2025, 2, 28)),
    ("so_yte", "Sở Y tế tỉnh Lạng Sơn", "Sở Y tế", "SYT", OrgKind.DEPARTMENT, DEMO_PROVINCE,
     ["social_protection"], dt.date(2025, 3, 1), None),
    ("so_tttt", "Sở Thông tin và Truyền thông tỉnh Lạng Sơn", "Sở TT&TT", "STTTT", OrgKind.DEPARTMENT, DEMO_PROVINCE,
     ["grassroots_information"], None, dt.date(2025, 2, 28)),
    ("so_vhttdl", "Sở Văn hóa, Thể thao và Du lịch tỉnh Lạng Sơn", "Sở VHTTDL", "SVHTTDL", OrgKind.DEPARTMENT, DEMO_PROVINCE,
     ["grassroots_information"], dt.date(2025, 3, 1), None),
    ("bao_ls", "Báo Lạng Sơn", "Báo Lạng Sơn", "BLS", OrgKind.NEWSPAPER, DEMO_PROVINCE, ["press"], None, None),
    ("dai_ptth", "Đài Phát thanh và Truyền hình tỉnh Lạng Sơn", "Đài PT-TH", "ĐPTTH", OrgKind.BROADCASTER, DEMO_PROVINCE,
     ["broadcast"], None, None),
    ("ubnd_dongkinh", "Ủy ban nhân dân phường Đông Kinh", "UBND phường Đông Kinh", "UBND", OrgKind.PEOPLES_COMMITTEE,
     "05977", ["decides_allowance", "pays_allowance"], dt.date(2025, 7, 1), None),
    ("ubnd_hongphong", "Ủy ban nhân dân xã Hồng Phong", "UBND xã Hồng Phong", "UBND", OrgKind.PEOPLES_COMMITTEE,
     "06079", ["decides_allowance", "pays_allowance"], dt.date(2025, 7, 1), None),
    ("vhxh_dongkinh", "Phòng Văn hóa - Xã hội phường Đông Kinh", "Phòng VH-XH Đông Kinh", "VHXH",
     OrgKind.CULTURE_OFFICE, "05977", ["grassroots_information", "commune_radio"], dt.date(2025, 7, 1), None),
]

USERS = [
    # username, full name, roles, scope unit codes, organisation key
    ("admin", "Quản trị hệ thống", [Role.ADMIN, Role.PROVINCE_OFFICER], [DEMO_PROVINCE], "so_yte"),
    ("tinh", "Nguyễn Thị Lan (Sở Y tế)", [Role.PROVINCE_OFFICER], [DEMO_PROVINCE], "so_yte"),
    ("pheduyet", "Hoàng Văn Minh (Sở Y tế)", [Role.APPROVER], [DEMO_PROVINCE], "so_yte"),
    ("kiemtoan", "Lương Thị Hà (Thanh tra)", [Role.AUDITOR], [DEMO_PROVINCE], "so_yte"),
    ("dongkinh", "Vi Thị Mai (UBND phường Đông Kinh)", [Role.COMMUNE_OFFICER], ["05977"], "ubnd_dongkinh"),
    ("hongphong", "Nông Văn Tuấn (UBND xã Hồng Phong)", [Role.COMMUNE_OFFICER], ["06079"], "ubnd_hongphong"),
    ("baolangson", "Phóng viên Báo Lạng Sơn", [Role.OUTREACH], [], "bao_ls"),
    ("vhxh_dongkinh", "Phòng VH-XH phường Đông Kinh", [Role.OUTREACH], [], "vhxh_dongkinh"),
]


def _demo_device(user, roles) -> str:
    """Demo users who may approve or check money get a TOTP device with a published key (its base32
    text, for an authenticator app; `ansinh demo totp LOGIN` prints the current code). "": none."""
    from ansinh.core import twofactor

    if not set(roles) & {Role.APPROVER, Role.ADMIN, Role.PROVINCE_OFFICER, Role.COMMUNE_OFFICER}:
        return ""
    key = twofactor.demo_key(user.username)
    device = twofactor.device_of(user)
    if device is None or device.key != key:
        twofactor.enrol_known_key(user, key)
    return twofactor.b32(key)


@transaction.atomic
def create_demo_orgs() -> dict[str, Organisation]:
    orgs = {}
    for key, name, short, symbol, kind, unit_code, functions, vf, vt in ORGS:
        unit = current_unit(unit_code)
        org, _ = Organisation.objects.update_or_create(
            name=name, defaults={"short_name": short, "symbol": symbol, "kind": kind, "unit": unit,
                                 "functions": functions, "valid_from": vf, "valid_to": vt,
                                 "province_code": unit.province_code})
        orgs[key] = org
    return orgs


@transaction.atomic
def create_demo_users() -> list[dict]:
    from ansinh.core.services import serve_province_if_unset

    serve_province_if_unset(DEMO_PROVINCE)  # the demo installation serves Lạng Sơn unless told otherwise
    orgs = create_demo_orgs()
    labels = dict(Role.choices)
    rows = []
    for username, full_name, roles, units, org_key in USERS:
        user = upsert_user(username, DEMO_PASSWORD, roles=list(roles), unit_codes=units, organisation=orgs[org_key],
                           full_name=full_name)
        scope = ", ".join(current_unit(c).name for c in units) or "—"
        rows.append({"username": username, "password": DEMO_PASSWORD, "roles": [str(r) for r in roles],
                     "role_label": str(labels[roles[0]]), "scope": scope, "organisation": orgs[org_key].name,
                     "totp": _demo_device(user, roles)})
    return rows
