"""出件: at the window with an ID or the pickup code, or by post; 容缺 results held until the material arrives."""

import pytest

from quangangtong.cases import services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CaseState, Decision
from quangangtong.cases.models import Delivery, DeliveryProof, EventKind, MaterialStatus, PickupMethod

from .conftest import ACCEPTED_AT, AGENT_ID, BENEFIT, EMPLOYMENT_CARD, PERSON_ID, D, at

pytestmark = pytest.mark.django_db


def test_it_hands_the_result_over_for_the_pickup_code(hall):
    case = hall.ready()
    delivery = services.case_deliver_at_window(
        case=case, user=hall.officer, proof=DeliveryProof.PICKUP_CODE, pickup_code=case.pickup_code, now=ACCEPTED_AT
    )
    case.refresh_from_db()
    assert (case.state, case.delivered_at, case.closed_at, case.pickup_method) == (
        CaseState.DELIVERED, ACCEPTED_AT, ACCEPTED_AT, PickupMethod.WINDOW
    )  # fmt: skip
    assert (delivery.method, delivery.proof, delivery.recipient_name) == (
        PickupMethod.WINDOW, DeliveryProof.PICKUP_CODE, "张三"
    )  # fmt: skip


def test_it_refuses_a_wrong_pickup_code_and_changes_nothing(hall):
    case = hall.ready()
    wrong = f"{(int(case.pickup_code) + 1) % 1_000_000:06d}"
    with pytest.raises(CaseError, match="取件码不正确") as refused:
        services.case_deliver_at_window(
            case=case, user=hall.officer, proof=DeliveryProof.PICKUP_CODE, pickup_code=wrong
        )
    assert (refused.value.status, refused.value.field) == (400, "pickup_code")
    case.refresh_from_db()
    assert case.state == CaseState.READY
    assert not Delivery.objects.exists()


def test_it_hands_over_to_the_applicant_or_agent_who_shows_their_id(hall):
    own = hall.ready()
    services.case_deliver_at_window(
        case=own, user=hall.officer, proof=DeliveryProof.IDENTITY, recipient_id_number=PERSON_ID
    )
    by_agent = hall.ready(agent_name="赵六", agent_id_number=AGENT_ID)
    delivery = services.case_deliver_at_window(
        case=by_agent, user=hall.officer, proof=DeliveryProof.IDENTITY, recipient_id_number=AGENT_ID.lower()
    )
    assert delivery.recipient_name == "赵六"


def test_it_refuses_someone_elses_id(hall):
    case = hall.ready()
    with pytest.raises(CaseError, match="都不一致") as refused:
        services.case_deliver_at_window(
            case=case, user=hall.officer, proof=DeliveryProof.IDENTITY, recipient_id_number=AGENT_ID
        )
    assert refused.value.field == "recipient_id_number"


def test_it_needs_a_proof(hall):
    with pytest.raises(CaseError) as refused:
        services.case_deliver_at_window(case=hall.ready(), user=hall.officer, proof="smile")
    assert refused.value.field == "proof"


def test_it_posts_the_result_and_marks_it_delivered_later(hall):
    case = hall.ready()
    delivery = services.case_post(
        case=case, user=hall.officer, carrier="SF", tracking_number="sf 1234567890123", address="前进区友谊路18号",
        now=at(D(2026, 10, 12)),
    )  # fmt: skip
    case.refresh_from_db()
    assert (case.state, case.pickup_method) == (CaseState.POSTED, PickupMethod.POST)
    assert (delivery.carrier, delivery.tracking_number, delivery.recipient_name, delivery.recipient_phone) == (
        "SF", "SF1234567890123", "张三", "13800138000"
    )  # fmt: skip
    assert case.events.get(kind=EventKind.POSTED).detail["tracking_number"] == "SF1234567890123"
    case = services.case_mark_delivered(case=case, delivered_at=at(D(2026, 10, 13), 15), now=at(D(2026, 10, 14)))
    assert (case.state, case.delivered_at) == (CaseState.DELIVERED, at(D(2026, 10, 13), 15))
    event = case.events.get(kind=EventKind.DELIVERED)
    assert (event.actor, event.actor_role) == (None, "系统")


def test_it_refuses_a_delivery_time_before_posting(hall):
    case = hall.ready()
    services.case_post(
        case=case, user=hall.officer, carrier="EMS", tracking_number="1123456789012", address="前进区友谊路18号",
        now=at(D(2026, 10, 12)),
    )  # fmt: skip
    with pytest.raises(CaseError) as refused:
        services.case_mark_delivered(case=case, user=hall.officer, delivered_at=at(D(2026, 10, 9)))
    assert refused.value.field == "delivered_at"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"carrier": "DHL"}, "carrier"),
        ({"tracking_number": "12345"}, "tracking_number"),
        ({"carrier": "EMS", "tracking_number": "SF1234567890123"}, "tracking_number"),
        ({"address": ""}, "address"),
        ({"recipient_phone": "12345"}, "recipient_phone"),
    ],
)
def test_it_refuses_a_bad_posting_by_field(hall, fields, field):
    case = hall.ready()
    values = {"carrier": "SF", "tracking_number": "SF1234567890123", "address": "前进区友谊路18号", **fields}
    with pytest.raises(CaseError) as refused:
        services.case_post(case=case, user=hall.officer, **values)
    assert (refused.value.status, refused.value.field) == (400, field)


def test_it_refuses_to_post_for_an_item_without_express(hall):
    case = services.case_decide(
        case=hall.accepted(EMPLOYMENT_CARD), user=hall.officer, decision=Decision.GRANTED, result_number="1"
    )
    with pytest.raises(CaseError, match="不支持快递寄送结果"):
        services.case_post(case=case, user=hall.officer, carrier="SF", tracking_number="SF1234567890123", address="x")


def test_a_walk_in_immediate_case_goes_from_ticket_to_delivered_in_one_visit(hall):
    case = hall.accepted(EMPLOYMENT_CARD)
    case = services.case_decide(
        case=case, user=hall.officer, decision=Decision.GRANTED, result_number="230804202600017", now=ACCEPTED_AT
    )
    services.case_deliver_at_window(
        case=case, user=hall.officer, proof=DeliveryProof.IDENTITY, recipient_id_number=PERSON_ID, now=ACCEPTED_AT
    )
    case.refresh_from_db()
    assert case.state == CaseState.DELIVERED
    assert list(case.events.values_list("kind", flat=True)) == [
        EventKind.OPENED, EventKind.MATERIAL_MARKED, EventKind.MATERIAL_MARKED, EventKind.MATERIAL_MARKED,
        EventKind.ACCEPTED, EventKind.DECIDED, EventKind.RELEASED, EventKind.DELIVERED_AT_WINDOW,
    ]  # fmt: skip


# --- 容缺: the result waits for the promised material --------------------------------------------


def _deferred_at_approval(hall):
    case = hall.receive_all(hall.open(BENEFIT), but=["解除或终止劳动关系"])
    services.case_material_mark(
        case=case, user=hall.officer, material=case.materials.get(name__contains="解除"),
        status=MaterialStatus.DEFERRED,
        promise="承诺10月9日前补交", promise_due=D(2026, 10, 9), now=ACCEPTED_AT,
    )  # fmt: skip
    case = services.case_accept_with_promise(case=case, user=hall.officer, now=ACCEPTED_AT)
    case = services.case_transfer(case=case, user=hall.officer, now=ACCEPTED_AT)
    for _ in range(2):
        case = services.case_step_pass(case=case, user=hall.approver, opinion="同意", now=ACCEPTED_AT)
    return case


def test_it_holds_a_granted_result_until_the_deferred_material_arrives(hall):
    case = services.case_decide(
        case=_deferred_at_approval(hall), user=hall.approver, decision=Decision.GRANTED, result_number="1",
        now=at(D(2026, 10, 8)),
    )  # fmt: skip
    assert (case.state, case.pickup_code) == (CaseState.DECIDED, "")
    with pytest.raises(CaseError, match="容缺材料补齐后才能出件"):
        services.case_deliver_at_window(case=case, user=hall.officer, proof=DeliveryProof.PICKUP_CODE, pickup_code="1")
    case = services.case_deferred_material_received(
        case=case, user=hall.officer, material=case.materials.get(name__contains="解除"), now=at(D(2026, 10, 9))
    )
    assert (case.state, case.released_at) == (CaseState.READY, at(D(2026, 10, 9)))
    assert len(case.pickup_code) == 6


def test_it_releases_a_refusal_without_waiting_for_the_material(hall):
    case = services.case_decide(
        case=_deferred_at_approval(hall), user=hall.approver, decision=Decision.REFUSED, result_number="1",
        opinion="不符合领取条件",
    )  # fmt: skip
    assert case.state == CaseState.READY
