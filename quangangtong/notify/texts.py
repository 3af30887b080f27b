"""The texts sent to applicants, one per event, and the checks every text and parameter passes.

Texts are string.Template: ${name} is replaced by the value the caller passes as name. A hall may replace any
text in the admin (MessageOverride) using the same parameters; the sign 【…】 is added when the message is made.
"""

import datetime
import re
import string
import unicodedata

from django.db import models
from django.utils import timezone

from quangangtong.ids import IdNumberError, validate_resident_id, validate_uscc
from quangangtong.notify.errors import NotifyError


class MessageKey(models.TextChoices):
    CASE_ACCEPTED = "case_accepted", "受理通知"
    CASE_MATERIALS_NEEDED = "case_materials_needed", "补正材料通知"
    CASE_RESULT_READY = "case_result_ready", "结果可领取通知"
    CASE_POSTED = "case_posted", "结果已寄出通知"
    TICKET_CALL_NEAR = "ticket_call_near", "临近叫号提醒"


DEFAULT_TEXTS = {
    MessageKey.CASE_ACCEPTED: (
        "您申请的“${item}”已受理，办件编号${case}，承诺办结时间${promised_due}。可凭办件编号和手机号后四位查询进度。"
    ),
    MessageKey.CASE_MATERIALS_NEEDED: (
        "您申请的“${item}”（办件编号${case}）需补正材料：${materials}。请一次补齐后到大厅综合窗口办理。"
    ),
    MessageKey.CASE_RESULT_READY: (
        "您申请的“${item}”（办件编号${case}）已办结，请凭取件码${pickup_code}到大厅综合窗口领取结果。"
    ),
    MessageKey.CASE_POSTED: (
        "您申请的“${item}”（办件编号${case}）的办理结果已由${carrier}寄出，运单号${tracking_number}，请注意查收。"
    ),
    MessageKey.TICKET_CALL_NEAR: "您的${ticket}号前面还有${ahead}人，请到大厅等候。",
}

ID_LENGTH = 18
# Spaces and hyphens are dropped before looking, so "1101 0519 4912 3100 2X" is found too.
IGNORED_SEPARATORS_RE = re.compile(r"[\s\-]")
CANDIDATE_RE = re.compile(rf"[0-9A-Z]{{{ID_LENGTH},}}")


def placeholders(key):
    """Return the names of the parameters the text for key takes, in the order the default text uses them."""
    return tuple(string.Template(DEFAULT_TEXTS[MessageKey(key)]).get_identifiers())


def text_check(key, text):
    """Raise NotifyError unless text is a usable replacement for the default text of key."""
    key = MessageKey(key)
    allowed = placeholders(key)
    listed = "、".join("${" + name + "}" for name in allowed)
    text = (text or "").strip()
    if not text:
        raise NotifyError(f"“{key.label}”的短信内容不能为空", field="text")
    if text.startswith("【"):
        raise NotifyError("短信内容不要以【签名】开头：发送时会自动加上本大厅的签名", field="text")
    template = string.Template(text)
    if not template.is_valid():
        raise NotifyError(
            f"短信内容中“$”的用法有误：参数写成 ${{参数名}}（可用：{listed}），“$”本身写成 $$", field="text"
        )
    unknown = [name for name in template.get_identifiers() if name not in allowed]
    if unknown:
        names = "、".join("${" + name + "}" for name in unknown)
        raise NotifyError(f"短信内容使用了不存在的参数 {names}；“{key.label}”可用的参数：{listed}", field="text")


def text_fill(text, context):
    """Return text with its parameters replaced by the values in context, formatted for a reader in China."""
    values = {}
    for name in string.Template(text).get_identifiers():
        value = context.get(name)
        if value is None or value == "":
            raise NotifyError(f"缺少短信参数“{name}”：请提供它的值", field=f"context.{name}")
        values[name] = _format(value)
    return string.Template(text).substitute(values)


def context_check(context):
    """Raise NotifyError if any value of context contains an identity number (PIPL: never in an SMS)."""
    for name, value in context.items():
        kind = find_id_number(value)
        if kind:
            # The value itself stays out of the message: it would end up in logs and on screens.
            raise NotifyError(
                f"短信参数“{name}”中含有{kind}：短信中不得出现证件号码，请去掉后再发送", field=f"context.{name}"
            )


def find_id_number(value):
    """Return the kind of identity number value contains, "身份证号码" or "统一社会信用代码", or "" if none."""
    if value is None:
        return ""
    text = IGNORED_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", str(value)).upper())
    for run in CANDIDATE_RE.findall(text):
        for start in range(len(run) - ID_LENGTH + 1):
            candidate = run[start : start + ID_LENGTH]
            if _passes(validate_resident_id, candidate):
                return "身份证号码"
            if _passes(validate_uscc, candidate):
                return "统一社会信用代码"
    return ""


def _passes(validate, candidate):
    try:
        validate(candidate)
    except IdNumberError:
        return False
    return True


def _format(value):
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local.year}年{local.month}月{local.day}日{local:%H:%M}"
    if isinstance(value, datetime.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)
