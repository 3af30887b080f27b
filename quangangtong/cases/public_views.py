"""The public progress page of a case: no login, by case number and phone digits or by the receipt's QR code."""

from django import forms
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from quangangtong.cases import services
from quangangtong.cases.services.public import case_public_progress
from quangangtong.cases.throttle import TooManyFailures, client_address, lookup_attempt_begin, throttled_lookup

NOT_FOUND = "没有找到这个办件：请核对办件编号（见材料接收单）和申请时登记的手机号码后四位。"


class ProgressForm(forms.Form):
    number = forms.CharField(
        label="办件编号",
        max_length=64,
        help_text="见材料接收单，如 QJQ-HALL-20260930-0001",
        error_messages={
            "required": "办件编号：请填写材料接收单上的办件编号。",
            "max_length": "办件编号：最多64个字符，请核对。",
            "null_characters_not_allowed": "办件编号：含有无效字符，请重新输入。",
        },
    )
    phone_last4 = forms.RegexField(
        label="手机号码后四位",
        regex=r"^[0-9]{4}$",
        help_text="申请时登记的手机号码的最后四位数字",
        error_messages={
            "required": "手机号码后四位：请填写申请时登记的手机号码的最后四位数字。",
            "invalid": "手机号码后四位：请填写4位数字，如 8000。",
            "null_characters_not_allowed": "手机号码后四位：请填写4位数字，如 8000。",
        },
    )


def _page(request, template, *, status=200, **context):
    response = render(request, f"cases/public/{template}", context, status=status)
    # A case's progress is personal: not kept by shared browsers or proxies.
    response["Cache-Control"] = "no-store"
    return response


def _not_found(request):
    """Answer an unknown number, a wrong pair and a bad token alike, so none can be told from another."""
    return _page(request, "progress_form.html", status=404, form=ProgressForm(), not_found=NOT_FOUND)


def _too_many(request, refused):
    response = _page(request, "progress_form.html", status=429, form=ProgressForm(), refused=refused.message)
    response["Retry-After"] = str(refused.retry_after)
    return response


def _progress(request, case):
    return _page(request, "progress.html", progress=case_public_progress(case))


# The form changes nothing a forged cross-site post could use (its sender cannot read the answer), and
# without the CSRF cookie it works on phones that refuse cookies, and answers the same bytes to everyone.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def progress(request):
    """Ask for the case number and the phone's last four digits; show the case's progress."""
    if request.method == "GET":
        return _page(request, "progress_form.html", form=ProgressForm())
    form = ProgressForm(request.POST)
    if not form.is_valid():
        return _page(request, "progress_form.html", status=400, form=form)
    number, digits = form.cleaned_data["number"], form.cleaned_data["phone_last4"]
    try:
        case = throttled_lookup(request, lambda: services.case_public_lookup(number=number, phone_last4=digits))
    except TooManyFailures as refused:
        return _too_many(request, refused)
    if case is None:
        return _not_found(request)
    return _progress(request, case)


@require_GET
def progress_by_token(request, token):
    """Show the progress of the case named by the receipt's QR code, without asking for the phone."""
    case = services.case_from_public_token(token)
    if case is not None:
        return _progress(request, case)
    # A forged token is a failed look-up like any other.
    try:
        lookup_attempt_begin(address=client_address(request))
    except TooManyFailures as refused:
        return _too_many(request, refused)
    return _not_found(request)
