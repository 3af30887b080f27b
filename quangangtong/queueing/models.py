from django.conf import settings
from django.db import models

from quangangtong.queueing.routing import Priority


class TicketStatus(models.TextChoices):
    WAITING = "waiting", "等候中"
    CALLED = "called", "已叫号"
    SERVING = "serving", "办理中"
    HELD = "held", "挂起"
    NO_SHOW = "no_show", "过号"
    FINISHED = "finished", "已办结"
    CLOSED = "closed", "日终关闭"


class TicketPriority(models.IntegerChoices):
    APPOINTMENT = Priority.APPOINTMENT, "预约"
    GREEN = Priority.GREEN, "绿色通道"
    NORMAL = Priority.NORMAL, "普通"


class Channel(models.TextChoices):
    KIOSK = "kiosk", "自助取号机"
    GUIDE = "guide", "引导员代取"
    WEB = "web", "网上取号"
    APPOINTMENT = "appointment", "预约签到"


class Ticket(models.Model):
    """A queue ticket: a person waiting for, or being served at, a window."""

    site = models.ForeignKey("hall.Site", models.PROTECT, related_name="tickets", verbose_name="站点")
    category = models.ForeignKey("hall.TicketCategory", models.PROTECT, related_name="tickets", verbose_name="类别")
    item = models.ForeignKey(
        "catalog.ServiceItem", models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name="事项"
    )
    day = models.DateField("日期")
    sequence = models.PositiveIntegerField("当日序号")
    number = models.CharField("票号", max_length=10)
    priority = models.PositiveSmallIntegerField("优先类别", choices=TicketPriority.choices, default=Priority.NORMAL)
    channel = models.CharField("取号渠道", max_length=12, choices=Channel.choices)
    phone = models.CharField("短信提醒手机号", max_length=11, blank=True)
    status = models.CharField("状态", max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    issued_at = models.DateTimeField("取号时间")
    # Place in the queue: the issue time, kept across transfers; moved to the back once on re-queue.
    queued_at = models.DateTimeField("排队时间")
    window = models.ForeignKey(
        "hall.Window", models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name="窗口"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name="办理人"
    )
    reserved_window = models.ForeignKey(
        "hall.Window",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="reserved_tickets",
        verbose_name="转至窗口",
        help_text="转移到指定窗口时，只有该窗口能叫到",
    )
    recall_count = models.PositiveSmallIntegerField("重呼次数", default=0)
    requeued = models.BooleanField("已重新排队", default=False)
    public_token = models.CharField("查询码", max_length=32, unique=True)
    near_notified_at = models.DateTimeField("临近叫号短信时间", null=True, blank=True)

    class Meta:
        ordering = ["day", "queued_at", "id"]
        verbose_name = "排队票"
        verbose_name_plural = "排队票"
        constraints = [
            models.UniqueConstraint(fields=["site", "day", "number"], name="unique_ticket_number_per_site_day"),
        ]
        indexes = [
            # call next reads the waiting tickets of one site, oldest first.
            models.Index(fields=["site", "status", "queued_at"], name="ticket_waiting_idx"),
        ]

    def __str__(self):
        return self.number


class TicketEventKind(models.TextChoices):
    ISSUED = "issued", "取号"
    CALLED = "called", "叫号"
    RECALLED = "recalled", "重呼"
    NO_SHOW = "no_show", "过号"
    REQUEUED = "requeued", "重新排队"
    HELD = "held", "挂起"
    RESUMED = "resumed", "回呼"
    TRANSFERRED = "transferred", "转移"
    SERVING = "serving", "开始办理"
    FINISHED = "finished", "办结"
    CLOSED = "closed", "日终关闭"


class TicketEvent(models.Model):
    """One step on a ticket's timeline; wait and service times are computed from these rows."""

    ticket = models.ForeignKey(Ticket, models.PROTECT, related_name="events", verbose_name="排队票")
    kind = models.CharField("动作", max_length=12, choices=TicketEventKind.choices)
    at = models.DateTimeField("时间")
    window = models.ForeignKey("hall.Window", models.PROTECT, null=True, blank=True, verbose_name="窗口")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, verbose_name="人员")
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "排队票记录"
        verbose_name_plural = "排队票记录"

    def __str__(self):
        return f"{self.ticket} {self.get_kind_display()}"


class TicketCounter(models.Model):
    """The last number issued per (site, prefix, local date); locked to issue the next one."""

    site = models.ForeignKey("hall.Site", models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=2)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "prefix", "day"], name="unique_ticket_counter")]

    def __str__(self):
        return f"{self.prefix} {self.day} {self.last}"


class IssueRequest(models.Model):
    """An Idempotency-Key seen on a ticket request, so that a retried request returns the same ticket."""

    site = models.ForeignKey("hall.Site", models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    ticket = models.OneToOneField(Ticket, models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="unique_idempotency_key_per_site")]

    def __str__(self):
        return self.key


class LiveEvent(models.Model):
    """The append-only feed that displays and workbenches follow; its id is the resume point."""

    site = models.ForeignKey("hall.Site", models.CASCADE, related_name="live_events")
    kind = models.CharField(max_length=30)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["site", "id"], name="live_event_site_idx")]

    def __str__(self):
        return f"{self.id} {self.kind}"


class JobPosting(models.Model):
    """A job vacancy shown on the hall's scrolling strip (the report's LED screens)."""

    site = models.ForeignKey("hall.Site", models.CASCADE, related_name="job_postings", verbose_name="站点")
    employer = models.CharField("招聘单位", max_length=100)
    position = models.CharField("岗位", max_length=50)
    openings = models.PositiveSmallIntegerField("人数", default=1)
    pay = models.CharField("待遇", max_length=50)
    requirements = models.CharField("要求", max_length=200, blank=True)
    contact = models.CharField("联系方式", max_length=50)
    valid_until = models.DateField("有效期至")

    class Meta:
        ordering = ["valid_until"]
        verbose_name = "招聘信息"
        verbose_name_plural = "招聘信息"

    def __str__(self):
        return f"{self.employer} {self.position}"
