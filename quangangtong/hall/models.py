from django.db import models
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
