from django.conf import settings
from django.db import models
from django.urls import reverse

from quangangtong.catalog.pinyin import pinyin_keys
from quangangtong.hall.models import Level, Site
from quangangtong.ids.django_validators import uscc_validator


class ItemType(models.TextChoices):
    """事项类型代码, GB/T 39046 附录 A.1 (11 行政备案 is the local extension after 国发〔2022〕5号)."""

    POWER = "00", "行政权力事项"
    LICENSING = "01", "行政许可"
    PENALTY = "02", "行政处罚"
    COERCION = "03", "行政强制"
    LEVY = "04", "行政征收"
    BENEFIT = "05", "行政给付"
    INSPECTION = "06", "行政检查"
    CONFIRMATION = "07", "行政确认"
    REWARD = "08", "行政奖励"
    RULING = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    FILING = "11", "行政备案"
    PUBLIC_SERVICE = "20", "公共服务"


class BodyNature(models.TextChoices):
    """实施主体性质代码, GB/T 39046 附录 A.3."""

    STATUTORY = "1", "法定机关"
    AUTHORISED = "2", "授权组织"
    ENTRUSTED = "3", "受委托组织"
    OTHER = "9", "其他"


class ServiceObject(models.TextChoices):
    """服务对象代码, GB/T 39046 附录 A.4."""

    PERSON = "1", "自然人"
    ENTERPRISE = "2", "企业法人"
    INSTITUTION = "3", "事业法人"
    SOCIAL_ORG = "4", "社会组织法人"
    GOVERNMENT = "5", "行政机关"
    OTHER_ORG = "6", "其他组织"


class HandlingForm(models.TextChoices):
    """办理形式代码, GB/T 39046 附录 A.5."""

    WINDOW = "1", "窗口办理"
    ONLINE_PC = "2", "电脑端网上办理"
    ONLINE_MOBILE = "3", "移动端网上申请"
    POST = "4", "快递申请"
    OTHER = "9", "其他"


class CaseType(models.TextChoices):
    """办件类型, GB/T 39046 附录 A.6."""

    IMMEDIATE = "1", "即办件"
    PROMISED = "2", "承诺件"
    OTHER = "9", "其他"


class LimitUnit(models.TextChoices):
    WORKING_DAY = "工作日", "工作日"
    NATURAL_DAY = "自然日", "自然日"
    HOUR = "小时", "小时"
    IMMEDIATE = "即办", "即办"


class Department(models.Model):
    """实施主体: a unit whose items the hall accepts."""

    code = models.SlugField("部门编码", max_length=40, unique=True)
    name = models.CharField("实施主体名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=30)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, validators=[uscc_validator])
    nature = models.CharField("实施主体性质", max_length=1, choices=BodyNature.choices, default=BodyNature.STATUTORY)
    phone = models.CharField("咨询电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "实施主体（部门）"
        verbose_name_plural = "实施主体（部门）"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("guide-department", args=[self.code])


class ModeTag(models.Model):
    """One of the hall's handling modes (现场前置, 马上办, 网上办, 就近办, 不见面, 跑一次)."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=20, unique=True)
    description = models.TextField("说明")
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "办理模式"
        verbose_name_plural = "办理模式"

    def __str__(self):
        return self.name


class ServiceItem(models.Model):
    """A row of the 实施清单 with the 办事指南 elements of GB/T 39046 表4 that a hall publishes."""

    # Codes are opaque strings: national, provincial and local schemes disagree on their length.
    implementation_code = models.CharField("实施编码", max_length=64, unique=True)
    basic_code = models.CharField("基本编码", max_length=64, blank=True)
    handling_item_code = models.CharField("业务办理项编码", max_length=64, blank=True)
    name = models.CharField("事项名称", max_length=200)
    keywords = models.CharField("检索关键词", max_length=200, blank=True, help_text="别名、俗称，以空格分隔")
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    level = models.CharField("行使层级", max_length=1, choices=Level.choices, default=Level.COUNTY)
    department = models.ForeignKey(Department, models.PROTECT, related_name="items", verbose_name="实施主体")
    case_type = models.CharField("办件类型", max_length=1, choices=CaseType.choices)
    setting_basis = models.TextField("设定依据")
    acceptance_conditions = models.TextField("受理条件")
    procedure = models.TextField("办理流程", help_text="每行一个环节")
    special_procedure = models.TextField("特别程序", blank=True)
    legal_limit = models.PositiveIntegerField("法定办结时限", default=0)
    legal_limit_unit = models.CharField("法定时限单位", max_length=4, choices=LimitUnit.choices)
    legal_limit_note = models.TextField("法定时限说明", blank=True)
    promised_limit = models.PositiveIntegerField("承诺办结时限", default=0)
    promised_limit_unit = models.CharField("承诺时限单位", max_length=4, choices=LimitUnit.choices)
    promised_limit_note = models.TextField("承诺时限说明", blank=True)
    charges_fee = models.BooleanField("是否收费", default=False)
    fee_standard = models.TextField("收费标准", blank=True)
    fee_basis = models.TextField("收费依据", blank=True)
    handling_forms = models.JSONField("办理形式", default=list, help_text="办理形式代码列表（附录 A.5）")
    service_objects = models.JSONField("服务对象", default=list, help_text="服务对象代码列表（附录 A.4）")
    visits_required = models.PositiveSmallIntegerField("到办事现场次数", default=1)
    visits_note = models.CharField("必须现场办理原因说明", max_length=500, blank=True)
    result_name = models.CharField("结果名称", max_length=100, blank=True)
    location = models.CharField("办理地点", max_length=200)
    hours = models.CharField("办理时间", max_length=150)
    consult_phone = models.CharField("咨询电话", max_length=30)
    supervise_phone = models.CharField("监督电话", max_length=30)
    faq = models.TextField("常见问题", blank=True, help_text="“问：”一行、“答：”一行，成对出现")
    supports_appointment = models.BooleanField("支持预约办理", default=False)
    supports_express = models.BooleanField("支持物流快递", default=False)
    online_url = models.CharField("网办地址", max_length=200, blank=True)
    modes = models.ManyToManyField(ModeTag, blank=True, related_name="items", verbose_name="办理模式")
    delegated_sites = models.ManyToManyField(
        Site, blank=True, related_name="delegated_items", verbose_name="下沉站点（就近办）"
    )
    is_active = models.BooleanField("在用", default=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    pinyin_full = models.CharField("全拼", max_length=1000, editable=False, blank=True)
    pinyin_initials = models.CharField("拼音首字母", max_length=400, editable=False, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["department__sort_order", "sort_order", "implementation_code"]
        verbose_name = "政务服务事项"
        verbose_name_plural = "政务服务事项"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The search columns are derived data, kept in step wherever an item is written (admin,
        # import, demo loader), so they live here rather than in a service.
        self.pinyin_full, self.pinyin_initials = pinyin_keys(f"{self.name} {self.keywords}")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("guide-item", args=[self.implementation_code])

    @property
    def is_immediate(self):
        return self.case_type == CaseType.IMMEDIATE

    def procedure_steps(self):
        return [line.strip() for line in self.procedure.splitlines() if line.strip()]

    def faq_pairs(self):
        """Return the FAQ as (question, answer) pairs."""
        pairs, question = [], None
        for line in self.faq.splitlines():
            line = line.strip()
            if line.startswith("问："):
                question = line[2:].strip()
            elif line.startswith("答：") and question is not None:
                pairs.append((question, line[2:].strip()))
                question = None
        return pairs

    def handling_form_labels(self):
        return [HandlingForm(code).label for code in self.handling_forms if code in HandlingForm.values]

    def service_object_labels(self):
        return [ServiceObject(code).label for code in self.service_objects if code in ServiceObject.values]

    def promised_limit_display(self):
        if self.case_type == CaseType.IMMEDIATE or self.promised_limit_unit == LimitUnit.IMMEDIATE:
            return "即办"
        return f"{self.promised_limit}个{self.promised_limit_unit}"

    def legal_limit_display(self):
        if self.legal_limit_unit == LimitUnit.IMMEDIATE:
            return "即办"
        return f"{self.legal_limit}个{self.legal_limit_unit}"


class MaterialType(models.TextChoices):
    CERTIFICATE = "1", "证件证书证明"
    FORM = "2", "申请表格文书"
    OTHER = "3", "其他"


class MaterialForm(models.TextChoices):
    PAPER = "1", "纸质"
    ELECTRONIC = "2", "电子化"
    BOTH = "3", "纸质/电子化"


class MaterialSource(models.TextChoices):
    APPLICANT = "申请人自备", "申请人自备"
    GOVERNMENT = "政府部门核发", "政府部门核发"
    OTHER = "其他", "其他"


class Necessity(models.TextChoices):
    REQUIRED = "1", "必要"
    OPTIONAL = "2", "非必要"
    DEFERRABLE = "3", "容缺后补"


class Material(models.Model):
    """A material on an item's checklist (GB/T 39046 表4 items 56–64)."""

    item = models.ForeignKey(ServiceItem, models.CASCADE, related_name="materials", verbose_name="事项")
    name = models.CharField("材料名称", max_length=200)
    material_type = models.CharField("材料类型", max_length=1, choices=MaterialType.choices)
    form = models.CharField("材料形式", max_length=1, choices=MaterialForm.choices, default=MaterialForm.PAPER)
    source = models.CharField("来源渠道", max_length=10, choices=MaterialSource.choices)
    necessity = models.CharField("必要性", max_length=1, choices=Necessity.choices, default=Necessity.REQUIRED)
    originals = models.PositiveSmallIntegerField("原件份数", default=0)
    copies = models.PositiveSmallIntegerField("复印件份数", default=0)
    issuer = models.CharField("出具机构", max_length=100, blank=True)
    note = models.CharField("填报须知", max_length=500, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["item", "sort_order", "id"]
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"

    def __str__(self):
        return self.name


class CatalogImport(models.Model):
    """A workbook that was imported into the catalogue: who, when, what it changed, and the file itself.

    Kept so that an auditor can see, years later, which workbook put the catalogue in a given state.
    """

    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name="导入人"
    )
    file_name = models.CharField("文件名", max_length=200, blank=True)
    workbook = models.FileField("工作簿", upload_to="catalog-imports/%Y/%m/")
    report = models.JSONField("导入结果")
    summary = models.CharField("摘要", max_length=500)
    changed = models.BooleanField("有变化")

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = "事项清单导入记录"
        verbose_name_plural = "事项清单导入记录"

    def __str__(self):
        return f"{self.file_name or '工作簿'}（{self.imported_at:%Y-%m-%d %H:%M}）"
