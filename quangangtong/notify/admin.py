from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from quangangtong.accounts.admin_site import ReadOnlyAdmin
from quangangtong.ids import mask_phone
from quangangtong.notify.models import DeliveryAttempt, MessageOverride, Notification
from quangangtong.notify.texts import DEFAULT_TEXTS, MessageKey, placeholders


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "backend", "started_at", "finished_at", "succeeded", "error", "gateway_message_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox, to read: messages are queued and sent by the services, and never deleted."""

    list_display = ["created_at", "template", "masked_phone", "ref", "status", "attempts", "backend", "sent_at"]
    list_filter = ["status", "template", "backend", "created_at"]
    # The full number finds a person's messages; lists still show it masked.
    search_fields = ["ref", "=phone"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    fields = [
        "template", "masked_phone", "ref", "text", "status", "attempts", "last_error", "created_at",
        "last_attempt_at", "sent_at", "backend", "gateway_message_id",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [DeliveryAttemptInline]

    @admin.display(description="手机号码")
    def masked_phone(self, notification):
        return mask_phone(notification.phone)


class MessageOverrideForm(forms.ModelForm):
    class Meta:
        model = MessageOverride
        fields = ["key", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4, "cols": 80})}


@admin.register(MessageOverride)
class MessageOverrideAdmin(admin.ModelAdmin):
    """The hall's own wording of a message; deleting it brings back the default text."""

    form = MessageOverrideForm
    list_display = ["key", "text", "updated_at"]
    readonly_fields = ["defaults"]
    fields = ["key", "text", "defaults"]

    @admin.display(description="默认内容与可用参数")
    def defaults(self, override=None):
        rows = format_html_join(
            "",
            "<li><b>{}</b>：{}<br>可用参数：{}</li>",
            (
                (key.label, DEFAULT_TEXTS[key], "、".join("${" + name + "}" for name in placeholders(key)))
                for key in MessageKey
            ),
        )
        return format_html("<ul>{}</ul>", rows)
