import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Level(models.TextChoices):
    """行使层级代码, GB/T 39046 附录 A.2."""

    NATIONAL = "1", "国家级"
    PROVINCE = "2", "省级"
    CITY = "3", "市级"
    COUNTY = "4", "县级"
    TOWNSHIP = "5", "镇（乡、街道）级"
    COMMUNITY = "6", "村（社区）级"
    GRADED = "7", "分级管理"


class Site(models.Model):
    """A place where the public is served: the district hall or a community service station."""

    code = models.SlugField("站点编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=1, choices=Level.choices, default=Level.COUNTY)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="stations", verbose_name="上级大厅"
    )
    division_code = models.CharField("行政区划代码", max_length=12, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("咨询电话", max_length=30, blank=True)
    opening_hours = models.CharField("办公时间", max_length=150, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    # The floor's rules, set per site by the hall manager.
    call_template = models.CharField(
        "叫号语音模板",
        max_length=100,
        default="请{number}号到{window}号窗口办理",
        help_text="{number} 为票号，{window} 为窗口号",
    )
    recall_limit = models.PositiveSmallIntegerField("重呼次数上限", default=3, help_text="超过后按过号处理")
    closing_time = models.TimeField("停止取号并清号时间", default=datetime.time(17, 30))
    fluency_threshold_minutes = models.PositiveSmallIntegerField(
        "熟练优先阈值（分钟）",
        default=10,
        help_text="窗口人员先办熟练的事项，除非另一张可办的票已多等了这么久",
    )
    starvation_minutes = models.PositiveSmallIntegerField(
        "最长等候保障（分钟）", default=30, help_text="等候超过此时长的票，无论类别和熟练程度，优先叫号"
    )
    call_near_ahead = models.PositiveSmallIntegerField(
        "临近叫号短信（前面人数）",
        default=3,
        help_text="取号时留了手机号的群众，前面只剩这么多人时收到短信提醒；0 为不发",
    )

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "站点"
        verbose_name_plural = "站点"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("guide-site", args=[self.code])

    @property
    def is_station(self):
        return self.level in (Level.TOWNSHIP, Level.COMMUNITY)


class TicketCategory(models.Model):
    """A queue of the floor: a letter prefix (A, B …) and the items it covers."""

    site = models.ForeignKey(Site, models.CASCADE, related_name="ticket_categories", verbose_name="站点")
    prefix = models.CharField("字母前缀", max_length=2)
    name = models.CharField("名称", max_length=30)
    description = models.CharField("说明", max_length=200, blank=True)
    items = models.ManyToManyField(
        "catalog.ServiceItem", blank=True, related_name="ticket_categories", verbose_name="包含事项"
    )
    is_active = models.BooleanField("在用", default=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["site", "sort_order", "prefix"]
        verbose_name = "取号类别"
        verbose_name_plural = "取号类别"
        constraints = [models.UniqueConstraint(fields=["site", "prefix"], name="unique_category_prefix_per_site")]

    def __str__(self):
        return f"{self.prefix} {self.name}"


class WindowState(models.TextChoices):
    OPEN = "open", "服务中"
    PAUSED = "paused", "暂停服务"
    CLOSED = "closed", "未开放"


class Window(models.Model):
    """A counter of the floor, with the ticket categories it serves."""

    site = models.ForeignKey(Site, models.CASCADE, related_name="windows", verbose_name="站点")
    number = models.PositiveSmallIntegerField("窗口号")
    name = models.CharField("名称", max_length=30, blank=True)
    categories = models.ManyToManyField(TicketCategory, blank=True, related_name="windows", verbose_name="服务类别")
    state = models.CharField("状态", max_length=10, choices=WindowState.choices, default=WindowState.CLOSED)
    pause_reason = models.CharField("暂停原因", max_length=50, blank=True)

    class Meta:
        ordering = ["site", "number"]
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="unique_window_number_per_site")]

    def __str__(self):
        return self.name or f"{self.number}号窗口"


class Proficiency(models.TextChoices):
    FLUENT = "fluent", "熟练"
    LEARNING = "learning", "学习中"


class OfficerSkill(models.Model):
    """An officer's certification for one item or a whole ticket category."""

    officer = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="skills", verbose_name="人员")
    item = models.ForeignKey(
        "catalog.ServiceItem", models.CASCADE, null=True, blank=True, related_name="skills", verbose_name="事项"
    )
    category = models.ForeignKey(
        TicketCategory, models.CASCADE, null=True, blank=True, related_name="skills", verbose_name="整个类别"
    )
    proficiency = models.CharField("熟练程度", max_length=10, choices=Proficiency.choices, default=Proficiency.FLUENT)
    certified_on = models.DateField("认证日期")
    certified_by = models.CharField("认证方式", max_length=100, help_text="如：2018年6月集中业务培训、岗位竞赛")

    class Meta:
        ordering = ["officer", "category", "item"]
        verbose_name = "窗口人员技能"
        verbose_name_plural = "窗口人员技能"
        constraints = [
            models.CheckConstraint(
                condition=Q(item__isnull=False, category__isnull=True) | Q(item__isnull=True, category__isnull=False),
                name="skill_is_for_an_item_or_a_category",
            ),
            models.UniqueConstraint(fields=["officer", "item"], name="unique_item_skill"),
            models.UniqueConstraint(fields=["officer", "category"], name="unique_category_skill"),
        ]

    def __str__(self):
        return f"{self.officer} · {self.item or self.category} · {self.get_proficiency_display()}"


class SkillAction(models.TextChoices):
    GRANTED = "granted", "授予认证"
    CHANGED = "changed", "修改认证"
    WITHDRAWN = "withdrawn", "撤销认证"


class OfficerSkillChange(models.Model):
    """One change of an officer's certification, appended and never edited: OfficerSkill is its replay.

    Proficiency, date and means are the certification's values after the change (for a withdrawal, the
    values it had when it was withdrawn).
    """

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="skill_changes", verbose_name="人员"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", models.PROTECT, null=True, blank=True, related_name="skill_changes", verbose_name="事项"
    )
    category = models.ForeignKey(
        TicketCategory, models.PROTECT, null=True, blank=True, related_name="skill_changes", verbose_name="整个类别"
    )
    action = models.CharField("变更", max_length=10, choices=SkillAction.choices)
    proficiency = models.CharField("熟练程度", max_length=10, choices=Proficiency.choices)
    certified_on = models.DateField("认证日期")
    certified_by = models.CharField("认证方式", max_length=100)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="skill_changes_made",
        verbose_name="操作人",
        help_text="空：系统写入（迁移、演示数据）",
    )
    changed_at = models.DateTimeField("变更时间")
    reason = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = "技能变更记录"
        verbose_name_plural = "技能变更记录"
        constraints = [
            models.CheckConstraint(
                condition=Q(item__isnull=False, category__isnull=True) | Q(item__isnull=True, category__isnull=False),
                name="skill_change_is_for_an_item_or_a_category",
            ),
        ]
        indexes = [models.Index(fields=["officer", "changed_at"], name="skill_change_officer_time")]

    def __str__(self):
        return f"{self.officer} · {self.item or self.category} · {self.get_action_display()}"


class WindowSession(models.Model):
    """An officer signed in at a window, from sign-in to sign-out: who sat where, and when."""

    window = models.ForeignKey(Window, models.PROTECT, related_name="sessions", verbose_name="窗口")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="window_sessions", verbose_name="人员"
    )
    signed_in_at = models.DateTimeField("签到时间")
    signed_out_at = models.DateTimeField("签退时间", null=True, blank=True)

    class Meta:
        ordering = ["-signed_in_at"]
        verbose_name = "窗口签到记录"
        verbose_name_plural = "窗口签到记录"
        constraints = [
            # The database itself guarantees one officer per window and one window per officer.
            models.UniqueConstraint(
                fields=["window"], condition=Q(signed_out_at__isnull=True), name="one_officer_per_window"
            ),
            models.UniqueConstraint(
                fields=["officer"], condition=Q(signed_out_at__isnull=True), name="one_window_per_officer"
            ),
        ]

    def __str__(self):
        return f"{self.officer} @ {self.window}"
