import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from quangangtong.documents import (
    acceptance_notice_pdf,
    correction_notice_pdf,
    deferred_acceptance_notice_pdf,
    material_receipt_pdf,
    rejection_notice_pdf,
)
from tests.documents.helpers import (
    URL,
    make_acceptance,
    make_correction,
    make_deferred,
    make_receipt,
    make_rejection,
    qr_matrix,
)

RENDERERS = [
    lambda url: material_receipt_pdf(make_receipt(progress_url=url)),
    lambda url: acceptance_notice_pdf(make_acceptance(progress_url=url)),
    lambda url: correction_notice_pdf(make_correction(progress_url=url)),
    lambda url: rejection_notice_pdf(make_rejection(progress_url=url)),
    lambda url: deferred_acceptance_notice_pdf(make_deferred(progress_url=url)),
]


def expected_matrix(url):
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


@pytest.mark.parametrize("render", RENDERERS)
def test_it_draws_the_qr_code_of_the_progress_url(render):
    assert qr_matrix(render(URL)) == expected_matrix(URL)


def test_it_draws_a_different_code_for_another_url():
    other = "https://zwfw.example.gov.cn/progress/BJ-20260930-0008"

    drawn = qr_matrix(material_receipt_pdf(make_receipt(progress_url=other)))

    assert drawn == expected_matrix(other)
    assert drawn != expected_matrix(URL)


def test_it_draws_a_code_a_scanner_reads_back_as_the_url():
    zxingcpp = pytest.importorskip("zxingcpp", reason="no QR decoder installed (pip install zxing-cpp)")
    from PIL import Image

    matrix = qr_matrix(material_receipt_pdf(make_receipt()))
    image = Image.new("L", (len(matrix), len(matrix)), 255)
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    image = image.resize((len(matrix) * 8, len(matrix) * 8), Image.NEAREST)

    [result] = zxingcpp.read_barcodes(image)
    assert result.text == URL
