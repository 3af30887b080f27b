"""The manager's planner runs: what was asked, how far the simulation has got, and what it answered."""

import json

from django.conf import settings
from django.db import models
from django.urls import reverse


class PlanRun(models.Model):
    """One question put to the planner, run in the background and kept with its answer."""

    class Kind(models.TextChoices):
        RUN = "run", "单一布局模拟"
        COMPARE = "compare", "布局对比"
        STAFF = "staff", "排班测算"
        CROSS_TRAIN = "cross-train", "交叉培训建议"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    parameters = models.JSONField("参数", default=dict)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField("已完成", default=0)
    progress_total = models.PositiveIntegerField("总数", default=0)
    # The planning function's dict as JSON text, not a JSONField: PostgreSQL's jsonb reorders object keys, and the
    # layouts, items, hours and officers are shown in the order the planner gave them.
    result_json = models.TextField("结果（JSON）", blank=True)
    result_text = models.TextField("结果表", blank=True)
    error = models.TextField("错误信息", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    # Touched by every progress write and by the runner's heartbeat: a queued or running row whose updated_at is
    # old was left behind by a process that stopped.
    updated_at = models.DateTimeField("最近更新", auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"])]
        verbose_name = "规划运行"
        verbose_name_plural = "规划运行"

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}（{self.get_status_display()}）"

    def get_absolute_url(self):
        return reverse("planner-run", args=[self.pk])

    @property
    def result(self):
        """Return the planning function's dict, or None before the run is done."""
        return json.loads(self.result_json) if self.result_json else None

    @property
    def is_active(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self):
        """Return the share done as a whole percentage, or None while the total is not yet known."""
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))
