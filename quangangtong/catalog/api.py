from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from quangangtong.api_schemas import VALIDATION_ERRORS, ErrorOut
from quangangtong.catalog.models import ServiceItem
from quangangtong.catalog.services import item_search
from quangangtong.hall.models import Site

router = Router(tags=["事项清单"])

MAX_PAGE_SIZE = 100


class CodeName(Schema):
    code: str
    name: str


class DepartmentOut(Schema):
    code: str
    name: str
    short_name: str
    uscc: str


class ItemSummary(Schema):
    code: str = Field(..., alias="implementation_code", description="实施编码")
    name: str
    department: DepartmentOut
    item_type: str = Field(..., description="事项类型代码（GB/T 39046 附录 A.1）")
    item_type_label: str
    level: str = Field(..., description="行使层级代码（附录 A.2）")
    case_type: str = Field(..., description="办件类型：1 即办件，2 承诺件")
    promised_limit: int
    promised_limit_unit: str
    legal_limit: int
    legal_limit_unit: str
    modes: list[CodeName]
    url: str

    @staticmethod
    def resolve_item_type_label(item):
        return item.get_item_type_display()

    @staticmethod
    def resolve_modes(item):
        return [{"code": m.code, "name": m.name} for m in item.modes.all()]

    @staticmethod
    def resolve_url(item):
        return item.get_absolute_url()


class MaterialOut(Schema):
    name: str
    material_type: str
    form: str
    source: str
    necessity: str = Field(..., description="1 必要，2 非必要，3 容缺后补")
    necessity_label: str
    originals: int
    copies: int
    issuer: str
    note: str

    @staticmethod
    def resolve_necessity_label(material):
        return material.get_necessity_display()


class FaqOut(Schema):
    question: str
    answer: str


class ItemDetail(ItemSummary):
    basic_code: str
    handling_item_code: str
    keywords: str
    setting_basis: str
    acceptance_conditions: str
    procedure: list[str]
    special_procedure: str
    legal_limit_note: str
    promised_limit_note: str
    charges_fee: bool
    fee_standard: str
    fee_basis: str
    handling_forms: list[str]
    service_objects: list[str]
    visits_required: int
    visits_note: str
    result_name: str
    location: str
    hours: str
    consult_phone: str
    supervise_phone: str
    faq: list[FaqOut]
    supports_appointment: bool
    supports_express: bool
    online_url: str
    delegated_sites: list[CodeName]
    materials: list[MaterialOut]

    @staticmethod
    def resolve_procedure(item):
        return item.procedure_steps()

    @staticmethod
    def resolve_faq(item):
        return [{"question": q, "answer": a} for q, a in item.faq_pairs()]

    @staticmethod
    def resolve_delegated_sites(item):
        return [{"code": s.code, "name": s.name} for s in item.delegated_sites.all()]

    @staticmethod
    def resolve_materials(item):
        return list(item.materials.all())


class ItemPage(Schema):
    count: int
    results: list[ItemSummary]


class ItemFilters(Schema):
    q: str = Field("", max_length=100, description="事项名称、全拼或拼音首字母（如 sfz）")
    tag: str = Field("", max_length=30, description="办理模式编码，如 immediate、nearby")
    department: str = Field("", max_length=40, description="部门编码")
    level: str = Field("", max_length=1, description="行使层级代码，4 区级，6 社区级")
    page: int = Field(1, ge=1, le=100000, description="页码，从 1 开始")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="每页条数，最多 100")


class SiteOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    parent: str | None
    division_code: str
    address: str
    phone: str
    opening_hours: str

    @staticmethod
    def resolve_level_label(site):
        return site.get_level_display()

    @staticmethod
    def resolve_parent(site):
        return site.parent.code if site.parent_id else None


@router.get("/items", response={200: ItemPage, **VALIDATION_ERRORS}, summary="查询事项清单")
def list_items(request, filters: Query[ItemFilters]):
    items = item_search(q=filters.q, tag=filters.tag, department=filters.department, level=filters.level)
    start = (filters.page - 1) * filters.page_size
    return {"count": items.count(), "results": list(items[start : start + filters.page_size])}


@router.get(
    "/items/{code}", response={200: ItemDetail, 404: ErrorOut, **VALIDATION_ERRORS}, summary="一个事项的办事指南"
)
def get_item(request, code: str):
    queryset = ServiceItem.objects.select_related("department").prefetch_related(
        "modes", "materials", "delegated_sites"
    )
    return get_object_or_404(queryset, implementation_code=code, is_active=True)


@router.get("/sites", response=list[SiteOut], summary="站点（大厅与社区便民服务站）")
def list_sites(request):
    return Site.objects.select_related("parent")
