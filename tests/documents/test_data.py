from datetime import date

import pytest

from quangangtong.documents import (
    DeferredMaterial,
    DocumentError,
    MissingMaterial,
    ReceivedMaterial,
)
from tests.documents.helpers import make_acceptance, make_correction, make_deferred, make_receipt, make_rejection


@pytest.mark.parametrize("field", ["hall_name", "case_number", "document_number", "applicant_name", "item_name"])
def test_it_refuses_a_notice_without_a_required_text(field):
    with pytest.raises(DocumentError) as caught:
        make_acceptance(**{field: "  "})

    assert caught.value.field == field
    assert field in caught.value.message


def test_it_refuses_a_relative_progress_url_a_phone_cannot_open():
    with pytest.raises(DocumentError) as caught:
        make_receipt(progress_url="/progress/BJ-20260930-0007")

    assert caught.value.field == "progress_url"


def test_it_refuses_deferred_materials_without_the_written_promise():
    with pytest.raises(DocumentError) as caught:
        make_receipt(deferral_promise="")

    assert caught.value.field == "deferral_promise"


def test_it_refuses_a_receipt_without_the_officer():
    with pytest.raises(DocumentError) as caught:
        make_receipt(officer_name="")

    assert caught.value.field == "officer_name"


def test_it_refuses_a_correction_notice_with_nothing_to_correct():
    with pytest.raises(DocumentError) as caught:
        make_correction(materials=[])

    assert caught.value.field == "materials"


def test_it_refuses_a_deferred_acceptance_without_deferred_materials():
    with pytest.raises(DocumentError) as caught:
        make_deferred(materials=[])

    assert caught.value.field == "materials"


def test_it_refuses_a_rejection_without_a_reason():
    with pytest.raises(DocumentError) as caught:
        make_rejection(reason="")

    assert caught.value.field == "reason"


def test_it_refuses_negative_copy_counts():
    with pytest.raises(DocumentError):
        ReceivedMaterial(name="身份证", copies=-1)


def test_it_refuses_a_defect_without_saying_what_is_wrong():
    with pytest.raises(DocumentError) as caught:
        MissingMaterial(name="申请书", problem="")

    assert caught.value.field == "problem"


def test_it_refuses_a_deferred_material_without_a_due_date():
    with pytest.raises(DocumentError) as caught:
        DeferredMaterial(name="承诺书", due_on=None)

    assert caught.value.field == "due_on"


def test_it_keeps_lists_as_tuples_so_a_checked_notice_cannot_change():
    receipt = make_receipt()

    assert isinstance(receipt.received, tuple)
    assert isinstance(receipt.deferred, tuple)


def test_it_takes_the_last_due_date_of_the_deferred_materials():
    notice = make_deferred(
        materials=[
            DeferredMaterial(name="甲", due_on=date(2026, 10, 30)),
            DeferredMaterial(name="乙", due_on=date(2026, 10, 9)),
        ]
    )

    assert notice.due_on == date(2026, 10, 30)


def test_it_seals_with_the_hall_unless_an_issuer_is_given():
    assert make_acceptance().issuer_name == "滨江区政务服务中心"
    assert make_acceptance(issuer="滨江区行政审批局").issuer_name == "滨江区行政审批局"
