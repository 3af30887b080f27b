from django.core.exceptions import ValidationError
from django.db import models

from quangangtong.notify.errors import NotifyError
from quangangtong.notify.texts import MessageKey, text_check


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Notification(models.Model):
    """A text message to an applicant (the outbox); kept for good, with each attempt to send it."""

    template = models.CharField("短信模板", max_length=40, choices=MessageKey.choices)
    phone = models.CharField("手机号码", max_length=11)
    text = models.TextField("短信内容")
    ref = models.CharField("关联对象", max_length=100, help_text="如 case:QJQ-20261125-0007、ticket:123")
    status = models.CharField(
        "状态", max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    last_error = models.TextField("最近一次错误", blank=True)
    created_at = models.DateTimeField("创建时间")
    last_attempt_at = models.DateTimeField("最近发送时间", null=True, blank=True)
    sent_at = models.DateTimeField("发送成功时间", null=True, blank=True)
    backend = models.CharField("发送通道", max_length=20)
    gateway_message_id = models.CharField("网关消息编号", max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "短信"
        verbose_name_plural = "短信"
        indexes = [
            models.Index(fields=["ref"], name="notification_ref_idx"),
            # notify_retry reads the failed and stuck messages, oldest first.
            models.Index(fields=["status", "id"], name="notification_status_idx"),
        ]

    def __str__(self):
        return f"{self.get_template_display()} {self.ref}"


class DeliveryAttempt(models.Model):
    """One try at handing a message to the backend, and what came of it."""

    notification = models.ForeignKey(
        Notification, models.PROTECT, related_name="delivery_attempts", verbose_name="短信"
    )
    number = models.PositiveSmallIntegerField("第几次")
    backend = models.CharField("发送通道", max_length=20)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间")
    succeeded = models.BooleanField("成功")
    error = models.TextField("错误", blank=True)
    gateway_message_id = models.CharField("网关消息编号", max_length=100, blank=True)

    class Meta:
        ordering = ["notification", "number"]
        verbose_name = "发送记录"
        verbose_name_plural = "发送记录"
        constraints = [
            models.UniqueConstraint(fields=["notification", "number"], name="unique_delivery_attempt_number"),
        ]

    def __str__(self):
        return f"{self.notification_id} #{self.number} {'成功' if self.succeeded else '失败'}"


class MessageOverride(models.Model):
    """The hall's own wording for one message, used instead of the default text."""

    key = models.CharField("短信模板", max_length=40, choices=MessageKey.choices, unique=True)
    text = models.TextField("短信内容", help_text="参数写成 ${参数名}；签名【…】发送时自动加在开头，不要写在这里")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "短信模板"
        verbose_name_plural = "短信模板"

    def __str__(self):
        return self.get_key_display()

    def clean(self):
        if self.key:
            try:
                text_check(self.key, self.text)
            except NotifyError as exc:
                raise ValidationError({"text": exc.message}) from None
