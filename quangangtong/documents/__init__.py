"""Printable A4 notices of a case (办件) as PDF: receipt, 受理, 补正, 不予受理 and 容缺受理 notices.

The case views fill in the dataclasses of ``data``; each ``*_pdf`` function returns the PDF bytes and refuses a
notice that carries a full identity number unless called with ``allow_full_id=True``.
"""

from quangangtong.documents.data import (
    DEFAULT_REMEDIES,
    DEFAULT_TERMINATION,
    AcceptanceNotice,
    CorrectionNotice,
    DeferredAcceptanceNotice,
    DeferredMaterial,
    MaterialReceipt,
    MissingMaterial,
    Notice,
    ReceivedMaterial,
    RejectionNotice,
)
from quangangtong.documents.errors import DocumentError
from quangangtong.documents.pdf import (
    acceptance_notice_pdf,
    correction_notice_pdf,
    deferred_acceptance_notice_pdf,
    material_receipt_pdf,
    rejection_notice_pdf,
)

__all__ = [
    "DEFAULT_REMEDIES",
    "DEFAULT_TERMINATION",
    "AcceptanceNotice",
    "CorrectionNotice",
    "DeferredAcceptanceNotice",
    "DeferredMaterial",
    "DocumentError",
    "MaterialReceipt",
    "MissingMaterial",
    "Notice",
    "ReceivedMaterial",
    "RejectionNotice",
    "acceptance_notice_pdf",
    "correction_notice_pdf",
    "deferred_acceptance_notice_pdf",
    "material_receipt_pdf",
    "rejection_notice_pdf",
]
