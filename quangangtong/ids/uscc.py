"""统一社会信用代码 (GB 32100-2015)."""

from ._text import all_digits, clean
from .errors import IdNumberError

# GB 32100-2015 §4: 31 characters, I O Z S V are never used.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# W_i = 3^(i-1) mod 31.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# 登记管理部门代码: 1-9, A 中央军委改革和编制办公室, N 农业, Y 其他.
REGISTRATION_DEPARTMENTS = "123456789ANY"


def uscc_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a credit code."""
    if len(first17) != 17:
        raise IdNumberError("统一社会信用代码前17位长度不正确")
    _check_alphabet(first17)
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """Return the normalised 18-character credit code or raise IdNumberError."""
    code = clean(value)
    if not code:
        raise IdNumberError("统一社会信用代码不能为空")
    if len(code) != 18:
        raise IdNumberError(f"统一社会信用代码应为18位，当前为{len(code)}位，请核对后重新输入")
    _check_alphabet(code)
    if code[0] not in REGISTRATION_DEPARTMENTS:
        raise IdNumberError("统一社会信用代码第1位（登记管理部门代码）应为1至9、A、N或Y")
    if not all_digits(code[2:8]):
        raise IdNumberError("统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字")
    if code[17] != uscc_check_char(code[:17]):
        raise IdNumberError("统一社会信用代码校验位不正确，请核对后重新输入")
    return code


def _check_alphabet(text: str) -> None:
    """Raise IdNumberError naming the first character outside the code alphabet."""
    for position, ch in enumerate(text, start=1):
        if ch not in ALPHABET:
            raise IdNumberError(
                f"统一社会信用代码第{position}位字符“{ch}”无效（代码不使用I、O、Z、S、V），请核对后重新输入"
            )
