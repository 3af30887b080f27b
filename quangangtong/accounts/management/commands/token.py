from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from quangangtong.accounts.models import ApiToken, TokenKind
from quangangtong.accounts.roles import user_has_role
from quangangtong.accounts.services import api_token_create, api_tokens_forget
from quangangtong.hall.models import Site

NAME_LENGTH = ApiToken._meta.get_field("name").max_length
PREFIX_LENGTH = ApiToken._meta.get_field("prefix").max_length


class Command(BaseCommand):
    help = (
        "生成设备接口令牌并打印（只显示这一次）：token 用户名 [--name 名称] 为工作人员本人；"
        "token --kiosk 站点编码 --name 名称 为自助取号机；token --device 站点编码 --name 名称 为叫号屏、"
        "评价器等只读设备；token --revoke 令牌前缀 吊销；token --list 列出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="工作人员的用户名，令牌代表此人操作")
        parser.add_argument("--name", default="", help=f"令牌名称，便于辨认（最多 {NAME_LENGTH} 字）")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--kiosk", metavar="站点编码", help="为该站点的自助取号机生成令牌")
        target.add_argument("--device", metavar="站点编码", help="为该站点的其他设备（叫号屏、LED 控制器）生成令牌")
        target.add_argument("--revoke", metavar="令牌前缀", help="吊销令牌：给出令牌前 8 位（如 qgt_AbCd）或整个令牌")
        target.add_argument("--list", action="store_true", dest="list_tokens", help="列出全部令牌（只显示前缀）")

    def handle(self, *args, username, name, kiosk, device, revoke, list_tokens, **options):
        if list_tokens:
            return self._list()
        if revoke:
            return self._revoke(revoke)
        name = name.strip()
        if len(name) > NAME_LENGTH:
            raise CommandError(f"--name 最多 {NAME_LENGTH} 个字")
        site_code = kiosk or device
        if site_code:
            if username:
                raise CommandError("取号机和设备令牌不属于个人，请不要同时给出用户名")
            site = Site.objects.filter(code=site_code).first()
            if site is None:
                codes = "、".join(Site.objects.values_list("code", flat=True)) or "（无）"
                raise CommandError(f"站点“{site_code}”不存在；现有站点编码：{codes}")
            kind, what = (TokenKind.KIOSK, "自助取号机") if kiosk else (TokenKind.DEVICE, "设备")
            token, raw = api_token_create(kind=kind, name=name or f"{site.name}{what}", site=site)
            owner = f"{site.name}的{what}"
        elif username:
            user = self._staff(username)
            token, raw = api_token_create(kind=TokenKind.STAFF, name=name or "命令行生成", user=user)
            owner = f"{user.get_username()}（{user.get_full_name() or '未填姓名'}）"
        else:
            raise CommandError("请给出用户名，或 --kiosk 站点编码、--device 站点编码、--revoke 令牌前缀、--list")
        self.stderr.write(
            f"已为{owner}生成接口令牌“{token.name}”（前缀 {token.prefix}）。令牌只显示这一次，请妥善保存；"
            f"使用方法：请求头 Authorization: Bearer 令牌；吊销：qgt token --revoke {token.prefix}"
        )
        self.stdout.write(raw)

    def _staff(self, username):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为“{username}”的账号")
        if not user.is_active:
            raise CommandError(f"账号“{username}”已停用，不能生成令牌")
        if not user_has_role(user):
            raise CommandError(f"账号“{username}”没有任何工作人员岗位，不能生成令牌")
        return user

    @transaction.atomic
    def _revoke(self, given):
        given = given.strip()
        if len(given) < PREFIX_LENGTH:
            raise CommandError(f"请给出令牌的前 {PREFIX_LENGTH} 位（如 qgt_AbCd，见 --list）或整个令牌")
        matches = ApiToken.objects.select_for_update().filter(prefix=given[:PREFIX_LENGTH])
        if len(given) > PREFIX_LENGTH:
            matches = matches.filter(digest=ApiToken.digest_of(given))
        live = [token for token in matches if token.revoked_at is None]
        if not live:
            if matches:
                raise CommandError(f"令牌 {given[:PREFIX_LENGTH]}… 已经吊销")
            raise CommandError(f"没有以 {given[:PREFIX_LENGTH]} 开头的令牌（见 --list）")
        if len(live) > 1:
            names = "、".join(str(token) for token in live)
            raise CommandError(f"有 {len(live)} 个令牌以此开头：{names}；请给出整个令牌")
        token = live[0]
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        api_tokens_forget()
        self.stdout.write(
            f"已吊销令牌 {token}，使用它的请求从现在起都会被拒绝（401）；"
            f"正在运行的服务进程最迟 {settings.QGT_TOKEN_CACHE_SECONDS} 秒后拒绝。"
        )

    def _list(self):
        tokens = ApiToken.objects.select_related("user", "site")
        if not tokens:
            self.stdout.write("还没有接口令牌。")
            return
        for token in tokens:
            owner = token.user.get_username() if token.user_id else (token.site.code if token.site_id else "")
            used = f"{timezone.localtime(token.last_used_at):%Y-%m-%d %H:%M}" if token.last_used_at else "未使用"
            state = "已吊销" if token.revoked_at else "有效"
            self.stdout.write(
                f"{token.prefix}  {token.get_kind_display()}  {owner}  {token.name}  "
                f"创建于 {timezone.localtime(token.created_at):%Y-%m-%d %H:%M}  最近使用 {used}  {state}"
            )
