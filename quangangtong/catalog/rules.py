"""Consistency rules of a catalogue item, one set for the admin form and the Excel import."""

from quangangtong.catalog.models import CaseType

NEARBY_MODE_CODE = "nearby"


def item_problems(*, values, mode_codes, site_count):
    """Return (field name, reason in Chinese) for every rule the item's field values break."""
    problems = []
    if NEARBY_MODE_CODE in mode_codes and site_count == 0:
        problems.append(("delegated_sites", "就近办事项至少要下沉到一个站点"))
    # National element check: a visit count other than 0 must say why the applicant has to come.
    if (values.get("visits_required") or 0) > 0 and not (values.get("visits_note") or "").strip():
        problems.append(("visits_note", "到办事现场次数不为0时，必须说明必须现场办理的原因"))
    if values.get("charges_fee") and not (values.get("fee_standard") or "").strip():
        problems.append(("fee_standard", "收费的事项必须填写收费标准"))
    promised, legal = values.get("promised_limit") or 0, values.get("legal_limit") or 0
    same_unit = values.get("promised_limit_unit") == values.get("legal_limit_unit")
    if values.get("case_type") == CaseType.PROMISED and same_unit and legal and promised > legal:
        problems.append(("promised_limit", f"承诺办结时限（{promised}）不能长于法定办结时限（{legal}）"))
    return problems
