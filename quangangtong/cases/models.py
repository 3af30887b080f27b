"""办件: a case from intake at the window to delivery of its result (GB/T 39046 表5–表8, 表11, 表15).

Nothing here is ever deleted: every change is made by cases.services and leaves a CaseEvent; a correction
is a new row.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from quangangtong.cases.clocks import WarningLevel
from quangangtong.cases.lifecycle import TERMINAL_STATES, CaseFacts, CaseState, Decision, Step
from quangangtong.catalog.models import CaseType, LimitUnit, Necessity
from quangangtong.ids.masking import mask_id_number, mask_name, mask_phone


class Channel(models.TextChoices):
    """申报来源, GB/T 39046 表5 (codes of 办理形式, 附录 A.5)."""

    WINDOW = "1", "窗口"
    ONLINE = "2", "网上"
    POST = "4", "邮寄"


class ApplicantKind(models.TextChoices):
    PERSON = "person", "个人"
    LEGAL = "legal", "法人（企业、组织）"


class DocumentType(models.TextChoices):
    """申请者证件类型, GA/T 2000.156 常用证件代码 (n3)."""

    RESIDENT_ID = "111", "居民身份证"
    TEMPORARY_ID = "112", "临时居民身份证"
    HOUSEHOLD_REGISTER = "113", "户口簿"
    PASSPORT = "414", "普通护照"
    TAIWAN_PERMIT = "511", "台湾居民来往大陆通行证"
    HK_MACAO_PERMIT = "516", "港澳居民来往内地通行证"
    FOREIGNER_PERMANENT_ID = "553", "外国人永久居留身份证"
    OTHER = "990", "其他证件"


class PickupMethod(models.TextChoices):
    WINDOW = "window", "窗口领取"
    POST = "post", "快递寄送"


class Case(models.Model):
    """办件: one application for one item, from the window (or post, or online) to its result delivered."""

    number = models.CharField("办件编号", max_length=64, unique=True)
    site = models.ForeignKey("hall.Site", models.PROTECT, related_name="cases", verbose_name="受理站点")
    item = models.ForeignKey("catalog.ServiceItem", models.PROTECT, related_name="cases", verbose_name="事项")
    item_name = models.CharField("事项名称", max_length=200, help_text="收件时的事项名称")
    case_type = models.CharField("办件类型", max_length=1, choices=CaseType.choices)
    channel = models.CharField("申报来源", max_length=1, choices=Channel.choices, default=Channel.WINDOW)
    ticket = models.ForeignKey(
        "queueing.Ticket", models.PROTECT, null=True, blank=True, related_name="cases", verbose_name="排队票"
    )
    # The applicant (GB/T 39046 表5). Identity numbers are stored in full and shown masked (the masked_*
    # properties); a full view goes through services.case_identity_reveal, which logs it.
    applicant_kind = models.CharField("申请人类型", max_length=10, choices=ApplicantKind.choices)
    applicant_name = models.CharField("申请人名称", max_length=200)
    id_type = models.CharField(
        "证件类型", max_length=3, choices=DocumentType.choices, blank=True, help_text="个人申请人或法定代表人的证件"
    )
    id_number = models.CharField("证件号码", max_length=30, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=11)
    agent_name = models.CharField("代办人姓名", max_length=50, blank=True)
    agent_id_type = models.CharField("代办人证件类型", max_length=3, choices=DocumentType.choices, blank=True)
    agent_id_number = models.CharField("代办人证件号码", max_length=30, blank=True)
    agent_phone = models.CharField("代办人电话", max_length=11, blank=True)
    # Where it is.
    state = models.CharField("状态", max_length=24, choices=CaseState.choices, default=CaseState.RECEIVED)
    department = models.ForeignKey(
        "catalog.Department", models.PROTECT, null=True, blank=True, related_name="cases", verbose_name="转办部门"
    )
    current_step = models.CharField("当前审批环节", max_length=10, choices=Step.choices, blank=True)
    step_started_at = models.DateTimeField("本环节开始时间", null=True, blank=True)
    step_due = models.DateField("本环节应完成日期", null=True, blank=True)
    step_overdue = models.BooleanField("本环节超时", default=False)
    opened_at = models.DateTimeField("收件时间")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="收件人"
    )
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="受理人"
    )
    intake_window_missed = models.BooleanField(
        "逾期未告知（视为受理）",
        default=False,
        help_text="收件后五个工作日内既未一次性告知补正也未受理，依行政许可法第三十二条自收件之日起视为受理；列入督办",
    )
    transferred_at = models.DateTimeField("转办时间", null=True, blank=True)
    # The clocks (clocks.py): limits snapshotted from the item at acceptance, dates and colour recomputed
    # by services and by the nightly cases_recompute.
    legal_limit = models.PositiveIntegerField("法定办结时限", null=True, blank=True)
    legal_limit_unit = models.CharField("法定时限单位", max_length=4, choices=LimitUnit.choices, blank=True)
    promised_limit = models.PositiveIntegerField("承诺办结时限", null=True, blank=True)
    promised_limit_unit = models.CharField("承诺时限单位", max_length=4, choices=LimitUnit.choices, blank=True)
    legal_due = models.DateField("法定办结日期", null=True, blank=True)
    promised_due = models.DateField("承诺办结日期", null=True, blank=True)
    suspended_working_days = models.PositiveIntegerField("特别程序不计时（工作日）", default=0)
    suspended_calendar_days = models.PositiveIntegerField("特别程序不计时（自然日）", default=0)
    warning = models.CharField("预警", max_length=6, choices=WarningLevel.choices, default=WarningLevel.GREEN)
    remaining_working_days = models.IntegerField("剩余工作日", null=True, blank=True, help_text="负数为已超期")
    clocks_computed_on = models.DateField("时限计算日期", null=True, blank=True)
    # The outcome.
    decision = models.CharField("决定", max_length=10, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="决定人"
    )
    result_name = models.CharField("结果文书名称", max_length=100, blank=True)
    result_number = models.CharField("结果文书编号", max_length=60, blank=True)
    rejection_reason = models.TextField("不予受理理由", blank=True)
    rejection_remedies = models.TextField("救济途径", blank=True)
    released_at = models.DateTimeField("结果送达窗口时间", null=True, blank=True)
    pickup_method = models.CharField(
        "出件方式", max_length=10, choices=PickupMethod.choices, default=PickupMethod.WINDOW
    )
    pickup_code = models.CharField("取件码", max_length=6, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True, help_text="送达、不予受理、终止等终态的时间")
    # Bumped by every change: a page sends back the version it showed, and a click on a stale page is refused.
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = "办件"
        verbose_name_plural = "办件"
        indexes = [
            models.Index(fields=["department", "state"], name="case_inbox_idx"),
            models.Index(fields=["state", "warning"], name="case_warning_idx"),
            models.Index(fields=["site", "accepted_at"], name="case_ledger_idx"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_immediate(self):
        return self.case_type == CaseType.IMMEDIATE

    @property
    def is_terminal(self):
        return self.state in TERMINAL_STATES

    @property
    def masked_applicant_name(self):
        return mask_name(self.applicant_name) if self.applicant_kind == ApplicantKind.PERSON else self.applicant_name

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number) if self.id_number else ""

    @property
    def masked_credit_code(self):
        return mask_id_number(self.credit_code) if self.credit_code else ""

    @property
    def masked_phone(self):
        return mask_phone(self.phone) if self.phone else ""

    @property
    def masked_agent_id_number(self):
        return mask_id_number(self.agent_id_number) if self.agent_id_number else ""

    @property
    def masked_agent_phone(self):
        return mask_phone(self.agent_phone) if self.agent_phone else ""

    def deferred_outstanding(self):
        """Return how many 容缺 materials were promised and have not arrived."""
        return self.materials.filter(status=MaterialStatus.DEFERRED).count()

    def facts(self):
        """Return the lifecycle's view of this case."""
        return CaseFacts(
            state=self.state,
            immediate=self.is_immediate,
            step=self.current_step,
            deferred_outstanding=self.deferred_outstanding(),
            decision=self.decision,
        )


class CaseCounter(models.Model):
    """The last case number issued per (site, local date); locked to issue the next one."""

    site = models.ForeignKey("hall.Site", models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="unique_case_counter")]

    def __str__(self):
        return f"{self.day} {self.last}"


class MaterialStatus(models.TextChoices):
    RECEIVED = "received", "已收"
    MISSING = "missing", "缺"
    DEFECTIVE = "defective", "有瑕疵"
    DEFERRED = "deferred", "容缺后补"


class CaseMaterial(models.Model):
    """One line of the item's checklist, copied into the case at intake, with what the officer received."""

    case = models.ForeignKey(Case, models.PROTECT, related_name="materials", verbose_name="办件")
    material = models.ForeignKey(
        "catalog.Material", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="清单材料"
    )
    name = models.CharField("材料名称", max_length=200)
    necessity = models.CharField("必要性", max_length=1, choices=Necessity.choices, default=Necessity.REQUIRED)
    originals = models.PositiveSmallIntegerField("原件份数", default=0)
    copies = models.PositiveSmallIntegerField("复印件份数", default=0)
    status = models.CharField("状态", max_length=10, choices=MaterialStatus.choices, default=MaterialStatus.MISSING)
    received_originals = models.PositiveSmallIntegerField("收取原件", default=0)
    received_copies = models.PositiveSmallIntegerField("收取复印件", default=0)
    defect = models.CharField("瑕疵说明", max_length=300, blank=True, help_text="哪里不符合要求、如何补正")
    promise = models.TextField("容缺承诺", blank=True, help_text="申请人书面承诺的内容")
    promise_due = models.DateField("承诺补交日期", null=True, blank=True)
    received_at = models.DateTimeField("收取时间", null=True, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["case", "sort_order", "id"]
        verbose_name = "办件材料"
        verbose_name_plural = "办件材料"

    def __str__(self):
        return self.name

    @property
    def is_optional(self):
        return self.necessity == Necessity.OPTIONAL


class EventKind(models.TextChoices):
    OPENED = "opened", "收件"
    MATERIAL_MARKED = "material_marked", "登记材料"
    ACCEPTED = "accepted", "受理"
    ACCEPTED_WITH_PROMISE = "accepted_with_promise", "容缺受理"
    ACCEPTED_BY_LAW = "accepted_by_law", "逾期未告知视为受理"
    CORRECTION_REQUESTED = "correction_requested", "一次性告知补正"
    CORRECTION_RECEIVED = "correction_received", "收取补正材料"
    REJECTED = "rejected", "不予受理"
    CORRECTION_ABANDONED = "correction_abandoned", "补正不来办结"
    DEFERRED_RECEIVED = "deferred_received", "收取容缺材料"
    TERMINATED = "terminated", "终止办理"
    TRANSFERRED = "transferred", "转办"
    STEP_PASSED = "step_passed", "环节通过"
    STEP_RETURNED = "step_returned", "环节退回"
    SUSPENDED = "suspended", "特别程序挂起"
    RESUMED = "resumed", "恢复计时"
    DECIDED = "decided", "作出决定"
    RELEASED = "released", "结果送达窗口"
    DELIVERED_AT_WINDOW = "delivered_at_window", "窗口出件"
    POSTED = "posted", "快递寄出"
    DELIVERED = "delivered", "确认送达"
    WARNING_CHANGED = "warning_changed", "预警变化"
    STEP_OVERRUN = "step_overrun", "环节超时"
    SUPERVISION_ISSUED = "supervision_issued", "督办"
    SUPERVISION_REPLIED = "supervision_replied", "督办回复"
    CARD_ISSUED = "card_issued", "亮牌"
    CARD_REVOKED = "card_revoked", "撤销亮牌"
    IDENTITY_VIEWED = "identity_viewed", "查看完整证件号码"


class BusinessAction(models.TextChoices):
    """业务动作, GB/T 39046 表7."""

    PASS = "通过", "通过"
    RETURN = "退回", "退回"
    OTHER = "其他", "其他"


class CaseEvent(models.Model):
    """One row of a case's history: who did what, when, in which role, and the state before and after."""

    case = models.ForeignKey(Case, models.PROTECT, related_name="events", verbose_name="办件")
    kind = models.CharField("动作", max_length=24, choices=EventKind.choices)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
        help_text="空：系统（如夜间计算）",
    )
    actor_role = models.CharField("岗位", max_length=20, blank=True)
    from_state = models.CharField("原状态", max_length=24, choices=CaseState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=24, choices=CaseState.choices)
    business_action = models.CharField(
        "业务动作", max_length=2, choices=BusinessAction.choices, default=BusinessAction.OTHER
    )
    step = models.CharField("环节", max_length=10, choices=Step.choices, blank=True)
    department = models.ForeignKey(
        "catalog.Department", models.PROTECT, null=True, blank=True, related_name="+", verbose_name="处理部门"
    )
    opinion = models.TextField("意见", blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "办件记录"
        verbose_name_plural = "办件记录"
        indexes = [models.Index(fields=["case", "at"], name="case_event_timeline_idx")]

    def __str__(self):
        return f"{self.case} {self.get_kind_display()}"


class SuspensionKind(models.TextChoices):
    """特别程序的具体种类; the GB/T 39046 附录 A.7 code follows from it (SUSPENSION_CODES)."""

    EXTENSION = "extension", "延长审批"
    SITE_INSPECTION = "site_inspection", "现场核查"
    HEARING = "hearing", "听证"
    TESTING = "testing", "检验检测"
    APPRAISAL = "appraisal", "鉴定"
    EXPERT_REVIEW = "expert_review", "专家评审"
    CORRECTION = "correction", "补正（受理后）"
    OTHER = "other", "其他"


class SpecialProcedureCode(models.TextChoices):
    """特别程序种类代码, GB/T 39046 附录 A.7."""

    EXTENSION = "1", "延长审批"
    OTHER = "2", "除延长审批之外的情况"


SUSPENSION_CODES = {kind: SpecialProcedureCode.OTHER for kind in SuspensionKind} | {
    SuspensionKind.EXTENSION: SpecialProcedureCode.EXTENSION
}


class Suspension(models.Model):
    """A special procedure (特别程序) or a 补正 after acceptance: the clocks stop from start to end."""

    case = models.ForeignKey(Case, models.PROTECT, related_name="suspensions", verbose_name="办件")
    code = models.CharField("特别程序种类代码", max_length=1, choices=SpecialProcedureCode.choices)
    kind = models.CharField("特别程序种类", max_length=20, choices=SuspensionKind.choices)
    reason = models.TextField("启动理由或依据")
    step = models.CharField("所在环节", max_length=10, choices=Step.choices, blank=True)
    started_at = models.DateTimeField("开始时间")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="启动人")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="结束人"
    )
    result = models.TextField("特别程序结果", blank=True, help_text="如现场核查、听证、检验检测、鉴定的结果")
    working_days = models.PositiveIntegerField("不计时工作日", null=True, blank=True)

    class Meta:
        ordering = ["case", "started_at", "id"]
        verbose_name = "特别程序"
        verbose_name_plural = "特别程序"

    def __str__(self):
        return f"{self.case} {self.get_kind_display()}"


class CorrectionNotice(models.Model):
    """一次性告知 (补正材料通知书): every material to bring back, listed at once (行政许可法 §32)."""

    case = models.ForeignKey(Case, models.PROTECT, related_name="correction_notices", verbose_name="办件")
    sequence = models.PositiveSmallIntegerField("第几次告知", default=1)
    issued_at = models.DateTimeField("告知时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="告知人")
    return_by = models.DateField("补正期限", help_text="逾期未补正的，按补正不来办结")
    is_override = models.BooleanField("督查人员批准的再次告知", default=False)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="批准人"
    )
    override_reason = models.TextField("再次告知理由", blank=True)
    answered_at = models.DateTimeField("补正时间", null=True, blank=True)

    class Meta:
        ordering = ["case", "sequence"]
        verbose_name = "一次性告知书"
        verbose_name_plural = "一次性告知书"
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="unique_correction_notice_per_case"),
        ]

    def __str__(self):
        return f"{self.case} 第{self.sequence}次告知"


class CorrectionNoticeItem(models.Model):
    """A material listed on a correction notice, with what is wrong with it."""

    notice = models.ForeignKey(CorrectionNotice, models.PROTECT, related_name="items", verbose_name="告知书")
    material = models.ForeignKey(CaseMaterial, models.PROTECT, related_name="+", verbose_name="材料")
    status = models.CharField("告知时状态", max_length=10, choices=MaterialStatus.choices)
    defect = models.CharField("需补正的内容", max_length=300, blank=True)

    class Meta:
        ordering = ["notice", "material__sort_order", "id"]
        verbose_name = "告知材料"
        verbose_name_plural = "告知材料"

    def __str__(self):
        return self.material.name


class Supervision(models.Model):
    """督办单: a supervisor urges the responsible department, which replies by a date (GB/T 39046 表11)."""

    case = models.ForeignKey(Case, models.PROTECT, related_name="supervisions", verbose_name="办件")
    department = models.ForeignKey(
        "catalog.Department", models.PROTECT, related_name="supervisions", verbose_name="被督办部门"
    )
    content = models.TextField("督办内容")
    issued_at = models.DateTimeField("督办时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="督办人")
    reply_due = models.DateField("回复期限")
    reply = models.TextField("回复", blank=True)
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="回复人"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = "督办单"
        verbose_name_plural = "督办单"

    def __str__(self):
        return f"{self.case} 督办（{self.department}）"


class CardColour(models.TextChoices):
    YELLOW = "yellow", "黄牌"
    RED = "red", "红牌"


class Card(models.Model):
    """A yellow or red card (电子监察 黄牌/红牌) for a case's responsible department; revoked, never deleted."""

    case = models.ForeignKey(Case, models.PROTECT, related_name="cards", verbose_name="办件")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="cards", verbose_name="责任部门")
    colour = models.CharField("颜色", max_length=6, choices=CardColour.choices)
    reason = models.TextField("理由")
    issued_at = models.DateTimeField("亮牌时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="亮牌人")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="撤销人"
    )
    revoke_reason = models.TextField("撤销理由", blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = "黄牌红牌"
        verbose_name_plural = "黄牌红牌"

    def __str__(self):
        return f"{self.case} {self.get_colour_display()}"


class Carrier(models.TextChoices):
    SF = "SF", "顺丰速运"
    EMS = "EMS", "中国邮政 EMS"


class DeliveryProof(models.TextChoices):
    IDENTITY = "identity", "核验身份证件"
    PICKUP_CODE = "pickup_code", "取件码"


class Delivery(models.Model):
    """How the result left the hall: handed over at the window, or posted (GB/T 39046 表15 物流)."""

    case = models.ForeignKey(Case, models.PROTECT, related_name="deliveries", verbose_name="办件")
    method = models.CharField("出件方式", max_length=10, choices=PickupMethod.choices)
    carrier = models.CharField("快递公司", max_length=3, choices=Carrier.choices, blank=True)
    tracking_number = models.CharField("快递单号", max_length=30, blank=True)
    recipient_name = models.CharField("收件人", max_length=50, blank=True)
    recipient_phone = models.CharField("收件人电话", max_length=11, blank=True)
    address = models.CharField("寄送地址", max_length=200, blank=True)
    proof = models.CharField("领取凭证", max_length=12, choices=DeliveryProof.choices, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="经办人")
    created_at = models.DateTimeField("登记时间")
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        ordering = ["case", "created_at", "id"]
        verbose_name = "出件记录"
        verbose_name_plural = "出件记录"

    def __str__(self):
        return f"{self.case} {self.get_method_display()}"


class IdentityField(models.TextChoices):
    ID_NUMBER = "id_number", "申请人证件号码"
    CREDIT_CODE = "credit_code", "统一社会信用代码"
    PHONE = "phone", "联系电话"
    AGENT_ID_NUMBER = "agent_id_number", "代办人证件号码"
    AGENT_PHONE = "agent_phone", "代办人电话"


class IdentityView(models.Model):
    """A full view of an identity number or phone (个人信息保护法): who, when, which case and field, why."""

    case = models.ForeignKey(Case, models.PROTECT, related_name="identity_views", verbose_name="办件")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="查看人")
    role = models.CharField("岗位", max_length=20)
    field = models.CharField("字段", max_length=20, choices=IdentityField.choices)
    reason = models.CharField("事由", max_length=200)
    viewed_at = models.DateTimeField("查看时间")

    class Meta:
        ordering = ["-viewed_at", "-id"]
        verbose_name = "证件号码查看记录"
        verbose_name_plural = "证件号码查看记录"

    def __str__(self):
        return f"{self.user} {self.case} {self.get_field_display()}"


def _check_shares(shares):
    given = [share for share in shares if share is not None]
    if given and (len(given) != 3 or sum(given) != 100):
        raise ValidationError(
            {"approve_share": "承办、审核、批准三个环节的占比请都填写，合计应为100（%），如50、30、20。"}
        )


class CaseRules(models.Model):
    """A site's 办件 rules: case number prefix, warning thresholds, step shares and waiting periods."""

    site = models.OneToOneField("hall.Site", models.CASCADE, related_name="case_rules", verbose_name="站点")
    number_prefix = models.CharField(
        "办件编号前缀", max_length=20, blank=True, help_text="如 QJQ；留空则用站点编码（大写）"
    )
    yellow_days = models.PositiveSmallIntegerField(
        "黄灯：剩余工作日不超过", null=True, blank=True, default=2, help_text="留空则不按天数预警"
    )
    yellow_percent = models.PositiveSmallIntegerField(
        "黄灯：剩余不超过承诺时限的（%）", null=True, blank=True, default=20, help_text="留空则不按比例预警"
    )
    handle_share = models.PositiveSmallIntegerField("承办环节占承诺时限（%）", default=50)
    review_share = models.PositiveSmallIntegerField("审核环节占承诺时限（%）", default=30)
    approve_share = models.PositiveSmallIntegerField("批准环节占承诺时限（%）", default=20)
    correction_wait_days = models.PositiveSmallIntegerField(
        "补正期限（工作日）", default=20, help_text="一次性告知后超过这些工作日仍未补正的，按补正不来办结"
    )
    supervision_reply_days = models.PositiveSmallIntegerField("督办默认回复期限（工作日）", default=2)

    class Meta:
        verbose_name = "办件规则（站点）"
        verbose_name_plural = "办件规则（站点）"

    def __str__(self):
        return f"{self.site}的办件规则"

    def clean(self):
        _check_shares([self.handle_share, self.review_share, self.approve_share])

    @classmethod
    def for_site(cls, site):
        """Return the site's rules, or the defaults (unsaved) when it has none."""
        return cls.objects.filter(site=site).first() or cls(site=site)

    def number_prefix_or_default(self):
        prefix = self.number_prefix.strip().upper()
        return prefix or "".join(ch if ch.isalnum() else "-" for ch in self.site.code.upper())

    def step_share(self, step):
        return {Step.HANDLE: self.handle_share, Step.REVIEW: self.review_share, Step.APPROVE: self.approve_share}[step]


class ItemClockRule(models.Model):
    """An item's own warning thresholds and step shares; what is left empty comes from the site's rules."""

    item = models.OneToOneField("catalog.ServiceItem", models.CASCADE, related_name="clock_rule", verbose_name="事项")
    yellow_days = models.PositiveSmallIntegerField("黄灯：剩余工作日不超过", null=True, blank=True)
    yellow_percent = models.PositiveSmallIntegerField("黄灯：剩余不超过承诺时限的（%）", null=True, blank=True)
    handle_share = models.PositiveSmallIntegerField("承办环节占承诺时限（%）", null=True, blank=True)
    review_share = models.PositiveSmallIntegerField("审核环节占承诺时限（%）", null=True, blank=True)
    approve_share = models.PositiveSmallIntegerField("批准环节占承诺时限（%）", null=True, blank=True)

    class Meta:
        verbose_name = "事项预警规则"
        verbose_name_plural = "事项预警规则"

    def __str__(self):
        return f"{self.item}的预警规则"

    def clean(self):
        _check_shares([self.handle_share, self.review_share, self.approve_share])


class PublicLookupFailure(models.Model):
    """A public progress look-up from one client address that failed, or has not succeeded yet."""

    address = models.CharField("客户端地址", max_length=50, help_text="IPv4 地址，或 IPv6 地址所在的 /64 网段")
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "进度查询失败记录"
        verbose_name_plural = "进度查询失败记录"
        indexes = [
            models.Index(fields=["address", "at"], name="lookup_failure_address_idx"),
            models.Index(fields=["at"], name="lookup_failure_at_idx"),
        ]

    def __str__(self):
        return f"{self.address} {self.at:%Y-%m-%d %H:%M:%S}"
