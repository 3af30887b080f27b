from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quangangtong.documents import (
    DocumentError,
    MissingMaterial,
    ReceivedMaterial,
    acceptance_notice_pdf,
    correction_notice_pdf,
    deferred_acceptance_notice_pdf,
    material_receipt_pdf,
    rejection_notice_pdf,
)
from quangangtong.documents.privacy import full_ids_refuse
from quangangtong.ids import mask_id_number, resident_id_check_char
from quangangtong.ids.resident import PROVINCE_CODES
from tests.documents.helpers import (
    FULL_ID,
    make_acceptance,
    make_correction,
    make_deferred,
    make_receipt,
    make_rejection,
    pdf_text,
)

RENDERERS = [
    (material_receipt_pdf, make_receipt),
    (acceptance_notice_pdf, make_acceptance),
    (correction_notice_pdf, make_correction),
    (rejection_notice_pdf, make_rejection),
    (deferred_acceptance_notice_pdf, make_deferred),
]


@st.composite
def resident_ids(draw):
    """Draw a valid 18-character resident ID number."""
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    area = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    sequence = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    first17 = f"{province}{area}{born:%Y%m%d}{sequence}"
    return first17 + resident_id_check_char(first17)


@pytest.mark.parametrize(("render", "make"), RENDERERS)
def test_it_refuses_a_full_id_number_in_the_applicant_id_field(render, make):
    with pytest.raises(DocumentError) as caught:
        render(make(applicant_id_masked=FULL_ID))

    assert caught.value.field == "applicant_id_masked"
    assert "mask_id_number" in caught.value.message


def test_it_refuses_a_full_id_number_in_the_agent_id_field():
    with pytest.raises(DocumentError) as caught:
        material_receipt_pdf(make_receipt(agent_name="李四", agent_id_masked=FULL_ID))

    assert caught.value.field == "agent_id_masked"


@pytest.mark.parametrize(
    "written",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 19491231 002X",
        "110105-19491231-002X",
        "身份证：11010519491231002X",
        "110105194912310021",  # wrong check digit: still an unmasked number
        "110105491231002",  # legacy 15-digit number
    ],
)
def test_it_refuses_unmasked_numbers_however_they_are_written(written):
    with pytest.raises(DocumentError):
        material_receipt_pdf(make_receipt(applicant_id_masked=written))


def test_it_refuses_a_full_id_number_hidden_in_free_text():
    receipt = make_receipt(received=[ReceivedMaterial(name="户口簿", originals=1, note=f"户主 {FULL_ID}")])

    with pytest.raises(DocumentError) as caught:
        material_receipt_pdf(receipt)

    assert caught.value.field == "note"


def test_it_refuses_a_full_id_number_in_a_correction_requirement():
    notice = make_correction(materials=[MissingMaterial(name="委托书", requirement=f"受托人{FULL_ID}签字")])

    with pytest.raises(DocumentError):
        correction_notice_pdf(notice)


def test_it_prints_the_full_number_when_the_caller_allows_it():
    data = material_receipt_pdf(make_receipt(applicant_id_masked=FULL_ID), allow_full_id=True)

    assert FULL_ID in pdf_text(data)


def test_it_prints_phone_tracking_and_case_numbers_that_are_not_id_numbers():
    receipt = make_receipt(
        case_number="330108202609300001",  # district + date + sequence, shaped like an ID number
        received=[ReceivedMaterial(name="快递单", copies=1, note="EMS 1100123456789012 电话 13800138000")],
    )

    text = pdf_text(material_receipt_pdf(receipt))

    assert "330108202609300001" in text
    assert "1100123456789012" in text


@settings(max_examples=200, deadline=None)
@given(number=resident_ids())
def test_it_refuses_every_valid_id_number_unmasked_and_accepts_it_masked(number):
    with pytest.raises(DocumentError):
        full_ids_refuse(make_receipt(applicant_id_masked=number))
    with pytest.raises(DocumentError):
        full_ids_refuse(make_receipt(deferral_promise=f"本人（{number}）承诺按期补齐。"))

    full_ids_refuse(make_receipt(applicant_id_masked=mask_id_number(number)))


@settings(max_examples=200, deadline=None)
@given(number=resident_ids())
def test_it_lets_every_number_through_when_allowed(number):
    full_ids_refuse(make_receipt(applicant_id_masked=number), allow_full_id=True)
