"""The text messages a case sends its applicant: accepted, materials needed, result ready, posted.

Each function is called by the service that made the change, inside its transaction: ``notification_send``
queues the row and sends only once that transaction commits, so a refused or rolled-back action tells the
applicant nothing. A message that cannot be queued (a hall's edited text missing a parameter, say) is logged
and never undoes the case action. No identity number is ever put in a text (``notify`` refuses one anyway).
"""

import logging

from quangangtong.cases.models import Carrier
from quangangtong.notify.errors import NotifyError
from quangangtong.notify.services import notification_send
from quangangtong.notify.texts import MessageKey

logger = logging.getLogger("quangangtong.cases")


def case_ref(case):
    """Return the outbox reference of a case's messages."""
    return f"case:{case.number}"


def _send(case, template, now, **context):
    try:
        return notification_send(
            template=template,
            phone=case.phone,
            context={"item": case.item_name, "case": case.number, **context},
            ref=case_ref(case),
            now=now,
        )
    except NotifyError as error:
        logger.warning("办件%s的短信“%s”未能生成：%s", case.number, MessageKey(template).label, error)
        return None


def case_accepted_notify(*, case, now=None):
    """Tell the applicant the case was accepted and when it is promised to be done."""
    return _send(case, MessageKey.CASE_ACCEPTED, now, promised_due=case.promised_due)


def case_materials_needed_notify(*, case, materials, now=None):
    """Tell the applicant every material to bring back (the 一次性告知, by name)."""
    names = "、".join(getattr(material, "name", material) for material in materials)
    return _send(case, MessageKey.CASE_MATERIALS_NEEDED, now, materials=names)


def case_result_ready_notify(*, case, now=None):
    """Tell the applicant the result waits at the window, with the pickup code that proves it is theirs."""
    return _send(case, MessageKey.CASE_RESULT_READY, now, pickup_code=case.pickup_code)


def case_posted_notify(*, case, delivery, now=None):
    """Tell the applicant the result was posted, with the carrier and tracking number."""
    return _send(
        case,
        MessageKey.CASE_POSTED,
        now,
        carrier=Carrier(delivery.carrier).label,
        tracking_number=delivery.tracking_number,
    )
