import hashlib

from django.conf import settings
from django.db import models


class TokenKind(models.TextChoices):
    STAFF = "staff", "工作人员"
    KIOSK = "kiosk", "自助取号机"
    DEVICE = "device", "其他设备（叫号器、评价器、LED 控制器）"


class ApiToken(models.Model):
    """A bearer token for the device API: an officer's own, or a kiosk's (bound to a site, no user).

    Only a SHA-256 digest of the token is stored; the token itself is shown once, when it is made.
    """

    kind = models.CharField("类型", max_length=10, choices=TokenKind.choices)
    name = models.CharField("名称", max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField("前缀", max_length=8, editable=False, help_text="令牌开头几位，便于辨认")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="api_tokens", verbose_name="人员"
    )
    site = models.ForeignKey(
        "hall.Site", models.CASCADE, null=True, blank=True, related_name="api_tokens", verbose_name="站点"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self):
        return f"{self.name}（{self.prefix}…）"

    @staticmethod
    def digest_of(raw):
        return hashlib.sha256(raw.encode()).hexdigest()


class DepartmentMembership(models.Model):
    """A user who works for a department (实施主体): approvers see and decide that department's cases."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="department_memberships", verbose_name="人员"
    )
    department = models.ForeignKey(
        "catalog.Department", models.CASCADE, related_name="memberships", verbose_name="部门"
    )
    created_at = models.DateTimeField("加入时间", auto_now_add=True)

    class Meta:
        ordering = ["department", "user"]
        verbose_name = "部门成员"
        verbose_name_plural = "部门成员"
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="unique_department_membership"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.department}"
