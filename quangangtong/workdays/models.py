"""The working-day calendar: the State Council's yearly schedule, stored as exceptions to the Mon–Fri rule."""

from django.conf import settings
from django.db import models

WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


class Source(models.TextChoices):
    CHINESE_CALENDAR = "chinese_calendar", "随软件包发布"
    MANUAL = "manual", "手工录入"


class ScheduleYear(models.Model):
    """A year whose holiday schedule is in the table; years without a row count weekends only."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("来源", max_length=20, choices=Source.choices, default=Source.MANUAL)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    note = models.CharField(
        "依据",
        max_length=200,
        blank=True,
        help_text="如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）",
    )

    class Meta:
        ordering = ["year"]
        verbose_name = "年度安排"
        verbose_name_plural = "年度安排"

    def __str__(self):
        return f"{self.year}年（{self.get_source_display()}）"


class SpecialDay(models.Model):
    """A weekday off (holiday) or a weekend day worked (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "法定节假日/调休休息"
        WORKDAY = "workday", "调休上班"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=60, help_text="如：国庆节、春节调休上班")
    source = models.CharField("来源", max_length=20, choices=Source.choices, default=Source.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "特殊日期"
        verbose_name_plural = "特殊日期"

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}（{self.get_kind_display()}）"

    @property
    def weekday_name(self):
        return WEEKDAY_NAMES[self.date.weekday()]
