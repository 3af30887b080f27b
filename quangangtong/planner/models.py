"""The manager's planner: saved scenarios, and runs (what was asked, how far the simulation has got, its answer)."""

import json

from django.conf import settings
from django.db import models
from django.urls import reverse


class SavedScenario(models.Model):
    """A scenario file kept on the planner page: calibrated from a site's tickets, uploaded, pasted, or edited.

    A row is never changed after it is written: editing saves a new row pointing at the one it was edited from, so
    a run that used a scenario keeps pointing at the exact text it ran.
    """

    class Origin(models.TextChoices):
        CALIBRATED = "calibrated", "由取号记录校准"
        UPLOADED = "uploaded", "上传文件"
        PASTED = "pasted", "粘贴文本"
        EDITED = "edited", "修改另存"

    title = models.CharField("名称", max_length=100)
    text = models.TextField("场景文件（YAML）")
    origin = models.CharField("来源", max_length=12, choices=Origin.choices)
    site = models.ForeignKey(
        "hall.Site", verbose_name="校准站点", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    weeks = models.PositiveSmallIntegerField("统计周数", null=True, blank=True)
    until = models.DateField("统计截止日期", null=True, blank=True)
    file_name = models.CharField("上传文件名", max_length=200, blank=True)
    edited_from = models.ForeignKey(
        "self", verbose_name="修改自", null=True, blank=True, on_delete=models.PROTECT, related_name="edits"
    )
    # What the run forms offer, read once when the text was checked: the layouts (name → title, as JSON text to keep
    # file order) and the default layout.
    layouts_json = models.TextField("布局（JSON）")
    default_layout = models.CharField("默认布局", max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="保存人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("保存时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "已保存的场景"
        verbose_name_plural = "已保存的场景"

    def __str__(self):
        return f"{self.title}（#{self.pk}）"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("已保存的场景不能修改：请修改后另存为新场景，以便查到每次运行所用的原文。")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("planner-scenario", args=[self.pk])

    @property
    def choice_name(self):
        """Return the value the run forms and PlanRun.parameters use for this scenario."""
        return f"{SAVED_PREFIX}{self.pk}"

    @property
    def layouts(self):
        return json.loads(self.layouts_json)

    @property
    def file_stem(self):
        return f"scenario-{self.pk}"

    @property
    def origin_description(self):
        """Return where the text came from, in a sentence."""
        if self.origin == self.Origin.CALIBRATED:
            site = self.site.name if self.site else "（站点已删除）"
            return f"由{site}截至 {self.until:%Y-%m-%d} 的 {self.weeks} 周取号记录校准"
        if self.origin == self.Origin.UPLOADED:
            return f"上传文件 {self.file_name}" if self.file_name else "上传文件"
        if self.origin == self.Origin.EDITED and self.edited_from_id:
            return f"修改自场景 #{self.edited_from_id}"
        return self.get_origin_display()


SAVED_PREFIX = "saved-"


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
    # Set when the run used a saved scenario (parameters["scenario"] is then its choice_name); the row is never
    # changed, so it is the exact text the run simulated.
    saved_scenario = models.ForeignKey(
        SavedScenario, verbose_name="已保存的场景", null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    # A shipped scenario's file as it was when the run was recorded (a later release may change the file).
    shipped_scenario_text = models.TextField("所用场景文件", blank=True)
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
    def scenario_label(self):
        """Return the scenario as the runs table and the run page name it."""
        if self.saved_scenario_id:
            return f"{self.saved_scenario.title}（已保存场景 #{self.saved_scenario_id}）"
        return self.parameters.get("scenario", "")

    @property
    def scenario_text(self):
        """Return the exact YAML the run simulated ("" for runs recorded before scenarios were kept)."""
        return self.saved_scenario.text if self.saved_scenario_id else self.shipped_scenario_text

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
