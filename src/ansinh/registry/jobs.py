"""The registry's background work: an uploaded list stored and imported by the worker
(job kind "registry.import", registered when the app loads)."""
from __future__ import annotations

from pathlib import Path

from ansinh.core.jobs import BadInput, Progress, job_kind, start_job
from ansinh.core.roles import can_edit
from ansinh.core.uploads import check_name, store_upload, uploader_scope
from ansinh.registry.importing.files import LIST_EXTENSIONS, import_file, month_str
from ansinh.registry.routing import OutsideScope


@job_kind("registry.import")
def import_job(params: dict, progress: Progress) -> dict:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    user = get_user_model().objects.filter(pk=params["user_id"]).first() if params.get("user_id") else None
    if user is None:  # a job is started by a user (start_import); nobody imports nothing
        raise BadInput("người dùng không còn tồn tại")
    report = import_file(params["path"], user=user, paid_through=params.get("paid_through") or None,
                         progress=progress, file_name=params.get("file_name"), province=params.get("province"),
                         job_id=progress.job_id)
    report["url"] = reverse("registry:batch", args=[report["batch"]])
    return report


def save_upload(uploaded) -> Path:
    """Store an uploaded list under VAR_DIR/uploads/registry/<random>/<name>."""
    return store_upload(uploaded, "registry")


def start_import(user, uploaded, paid_through: str | None = None):
    """Save an upload and start a background import job; returns the Job."""
    if not can_edit(user):
        raise OutsideScope("bạn không có quyền nhập danh sách")
    paid = month_str(paid_through)
    name = check_name(uploaded.name, LIST_EXTENSIONS)  # the client's name only; too long is said so
    dest = save_upload(uploaded)
    commune, province_code = uploader_scope(user)
    return start_job("registry.import", {"path": str(dest), "file_name": name, "user_id": user.pk,
                                         "paid_through": paid},
                     user=user, title=f"Nhập danh sách {name}", commune=commune, province_code=province_code)
