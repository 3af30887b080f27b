"""What each printable notice of a case says: plain dataclasses the case views fill in.

Identity numbers arrive already masked (fields named ``*_id_masked``); the renderers refuse a full one.
"""

from dataclasses import dataclass, fields
from datetime import date

from quangangtong.documents.errors import DocumentError

# 行政复议法（2023年修订）第二十条；行政诉讼法 第四十六条.
DEFAULT_REMEDIES = (
    "如对本决定不服，可以自收到本通知书之日起六十日内依法申请行政复议，"
    "或者自收到本通知书之日起六个月内依法向人民法院提起行政诉讼。"
)
DEFAULT_ACCEPTANCE_BASIS = "《中华人民共和国行政许可法》第三十二条第一款第（五）项"
DEFAULT_CORRECTION_BASIS = "《中华人民共和国行政许可法》第三十二条第一款第（四）项"
DEFAULT_REJECTION_BASIS = "《中华人民共和国行政许可法》第三十二条第一款"
DEFAULT_TERMINATION = "逾期未补齐或者补齐的材料不符合要求的，本机关将终止办理，已作出的审批结果不予发放。"

REQUIRED_TEXT_LABELS = {
    "hall_name": "大厅名称",
    "case_number": "办件编号",
    "document_number": "文书编号",
    "progress_url": "办理进度查询网址",
    "applicant_name": "申请人",
    "item_name": "申请事项",
}


def _require_text(obj, labels):
    for name, label in labels.items():
        if not str(getattr(obj, name) or "").strip():
            raise DocumentError(f"{label}不能为空，请填写 {name}", field=name)


def _freeze_lists(obj):
    # Callers pass lists; a frozen dataclass keeps tuples so a notice cannot change after it is checked.
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, list):
            object.__setattr__(obj, f.name, tuple(value))


@dataclass(frozen=True, kw_only=True)
class ReceivedMaterial:
    """A material the window received, with the number of originals and copies."""

    name: str
    originals: int = 0
    copies: int = 0
    note: str = ""

    def __post_init__(self):
        if not self.name.strip():
            raise DocumentError("已收材料的名称不能为空，请填写 name", field="name")
        if self.originals < 0 or self.copies < 0:
            raise DocumentError(f"材料「{self.name}」的原件、复印件份数不能为负数", field="originals")


@dataclass(frozen=True, kw_only=True)
class MissingMaterial:
    """A material missing or defective: what is wrong and what the applicant must bring instead."""

    name: str
    problem: str = "未提交"
    requirement: str = ""

    def __post_init__(self):
        if not self.name.strip():
            raise DocumentError("缺少或需补正材料的名称不能为空，请填写 name", field="name")
        if not self.problem.strip():
            raise DocumentError(f"请说明材料「{self.name}」存在的问题（problem）", field="problem")


@dataclass(frozen=True, kw_only=True)
class DeferredMaterial:
    """A material accepted as 容缺: the applicant promised to hand it in by due_on."""

    name: str
    due_on: date
    problem: str = "暂缺"

    def __post_init__(self):
        if not self.name.strip():
            raise DocumentError("容缺材料的名称不能为空，请填写 name", field="name")
        if not isinstance(self.due_on, date):
            raise DocumentError(f"请填写容缺材料「{self.name}」的补齐期限（due_on）", field="due_on")


@dataclass(frozen=True, kw_only=True)
class Notice:
    """What every notice carries: who issues it, for which case, to whom, and where to follow it."""

    hall_name: str
    case_number: str
    document_number: str
    issued_on: date
    progress_url: str
    applicant_name: str
    applicant_id_masked: str = ""
    applicant_credit_code: str = ""
    item_name: str
    issuer: str = ""

    def __post_init__(self):
        _freeze_lists(self)
        _require_text(self, REQUIRED_TEXT_LABELS)
        if not isinstance(self.issued_on, date):
            raise DocumentError("请填写文书日期（issued_on）", field="issued_on")
        if not self.progress_url.startswith(("https://", "http://")):
            raise DocumentError(
                "办理进度查询网址应为以 http:// 或 https:// 开头的完整网址，二维码才能扫码打开", field="progress_url"
            )

    @property
    def issuer_name(self):
        """Return the body that seals the notice: the issuer if given, else the hall."""
        return self.issuer or self.hall_name


@dataclass(frozen=True, kw_only=True)
class MaterialReceipt(Notice):
    """《办理行政权力事项材料接收单》: what the window received, what is missing, and what was deferred."""

    applicant_phone_masked: str = ""
    agent_name: str = ""
    agent_id_masked: str = ""
    department_name: str = ""
    received: tuple[ReceivedMaterial, ...] = ()
    missing: tuple[MissingMaterial, ...] = ()
    deferred: tuple[DeferredMaterial, ...] = ()
    deferral_promise: str = ""
    officer_name: str
    window_name: str = ""
    promised_completion_on: date | None = None

    def __post_init__(self):
        super().__post_init__()
        if not self.officer_name.strip():
            raise DocumentError("经办人不能为空，请填写 officer_name", field="officer_name")
        if self.deferred and not self.deferral_promise.strip():
            raise DocumentError("有容缺材料时须写明申请人的书面承诺（deferral_promise）", field="deferral_promise")


@dataclass(frozen=True, kw_only=True)
class AcceptanceNotice(Notice):
    """《受理通知书》: the case is accepted; the limits and the promised completion date."""

    applied_on: date
    accepted_on: date
    legal_limit: str
    promised_limit: str
    promised_completion_on: date | None = None
    pickup_method: str
    department_name: str = ""
    contact_phone: str = ""
    legal_basis: str = DEFAULT_ACCEPTANCE_BASIS

    def __post_init__(self):
        super().__post_init__()
        _require_text(
            self, {"legal_limit": "法定办结时限", "promised_limit": "承诺办结时限", "pickup_method": "取件方式"}
        )


@dataclass(frozen=True, kw_only=True)
class CorrectionNotice(Notice):
    """《补正材料通知书》（一次性告知）: every missing or defective material at once."""

    applied_on: date
    materials: tuple[MissingMaterial, ...]
    submit_place: str
    submit_method: str
    submit_due_on: date | None = None
    contact_phone: str = ""
    legal_basis: str = DEFAULT_CORRECTION_BASIS

    def __post_init__(self):
        super().__post_init__()
        if not self.materials:
            raise DocumentError("补正材料通知书须列明至少一项需要补正的材料（materials）", field="materials")
        _require_text(self, {"submit_place": "补正地点", "submit_method": "补正方式"})


@dataclass(frozen=True, kw_only=True)
class RejectionNotice(Notice):
    """《不予受理通知书》: why the application is not accepted and what the applicant can do."""

    applied_on: date
    reason: str
    competent_authority: str = ""
    legal_basis: str = DEFAULT_REJECTION_BASIS
    remedies: str = DEFAULT_REMEDIES

    def __post_init__(self):
        super().__post_init__()
        _require_text(self, {"reason": "不予受理的理由", "remedies": "救济途径"})


@dataclass(frozen=True, kw_only=True)
class DeferredAcceptanceNotice(Notice):
    """《容缺受理通知书》: accepted on the applicant's written promise to hand in the deferred materials."""

    applied_on: date
    accepted_on: date
    materials: tuple[DeferredMaterial, ...]
    promise: str
    submit_place: str
    submit_method: str
    promised_completion_on: date | None = None
    contact_phone: str = ""
    consequence: str = DEFAULT_TERMINATION

    def __post_init__(self):
        super().__post_init__()
        if not self.materials:
            raise DocumentError("容缺受理通知书须列明至少一项容缺材料（materials）", field="materials")
        _require_text(
            self,
            {
                "promise": "申请人的书面承诺",
                "submit_place": "补齐地点",
                "submit_method": "补齐方式",
                "consequence": "逾期后果",
            },
        )

    @property
    def due_on(self):
        """Return the last due date of the deferred materials."""
        return max(material.due_on for material in self.materials)
