"""The audit log: append-only entries chained by hash (ansinh.audit.chain), written only by
ansinh.audit.services.append. No foreign keys: deleting a person or a user must never touch the
log (on PostgreSQL the application's role cannot UPDATE or DELETE these tables at all,
ansinh.audit.grants)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    PERSON_VIEW = "person.view", _("Xem hồ sơ đối tượng")
    PERSON_EXPORT = "person.export", _("Xuất danh sách đối tượng")
    FILE_DOWNLOAD = "file.download", _("Tải tệp")
    CHANGE = "change", _("Sửa dữ liệu")
    ROLE_CHANGE = "role.change", _("Đổi vai trò người dùng")
    TOTP = "totp", _("Xác thực hai lớp")
    CHECKPOINT = "checkpoint", _("Điểm kiểm tra hằng ngày")
    API_CALL = "api.call", _("Lời gọi API của hệ thống khác")
    PERSON_LIST = "person.list", _("Xem danh sách đối tượng")
    SUBJECT_EXPORT = "person.subject_export", _("Cung cấp dữ liệu cho chủ thể dữ liệu")
    RETENTION = "retention", _("Ẩn danh khi hết thời hạn lưu trữ")


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True)  # 1, 2, 3… without gaps: a removed entry shows
    at = models.DateTimeField(db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)  # None: the command line's operator
    user_name = models.CharField(max_length=150, blank=True)  # the login at the time
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    subjects = models.PositiveIntegerField(default=0)  # how many people it names (AuditSubject rows)
    subjects_digest = models.CharField(max_length=64, blank=True)
    object = models.CharField(max_length=300, blank=True)  # a file name, "payroll.run 12", …
    sha256 = models.CharField(max_length=64, blank=True)  # of the file downloaded
    source = models.CharField(max_length=120, blank=True)  # the screen (view name) or command
    detail = models.TextField(blank=True)  # canonical JSON: before → after, reason, rows digest…
    prev_hash = models.CharField(max_length=64, unique=True)  # a fork (two entries after one) is refused
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def fields(self) -> dict:
        return {"seq": self.seq, "at": self.at, "user_id": self.user_id, "user_name": self.user_name,
                "action": self.action, "subjects": self.subjects, "subjects_digest": self.subjects_digest,
                "object": self.object, "sha256": self.sha256, "source": self.source, "detail": self.detail,
                "prev_hash": self.prev_hash, "hash": self.hash}


class AuditSubject(models.Model):
    """A person an entry names (seen, exported, changed). Append-only like the entries."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="+")
    person_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "person_id"], name="audit_subject_once")]
        indexes = [models.Index(fields=["person_id", "entry"])]


class Anonymisation(models.Model):
    """A person anonymised by the retention rule (ansinh.audit.retention): when, and the last month
    of their allowance. Written set-based by the rule, once per person; read by the person page."""

    person_id = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)  # the run (all its rows share it)
    ended_month = models.CharField(max_length=7)  # "YYYY-MM": the allowance's last month
    years = models.PositiveSmallIntegerField()  # the retention period applied

    class Meta:
        ordering = ["-at", "person_id"]
