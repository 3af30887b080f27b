"""居民身份号码 (GB 11643-1999), also used by 港澳台居民居住证 and the 2023 外国人永久居留身份证."""

from datetime import date

from ._text import all_digits, clean
from .errors import IdNumberError

# W_i = 2^(18-i) mod 11, ISO 7064 MOD 11-2 (GB 11643-1999 §7).
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# GB/T 2260 province-level codes of the mainland.
PROVINCE_CODES = frozenset(
    [f"{n}" for n in range(11, 16)]
    + [f"{n}" for n in range(21, 24)]
    + [f"{n}" for n in range(31, 38)]
    + [f"{n}" for n in range(41, 47)]
    + [f"{n}" for n in range(50, 55)]
    + [f"{n}" for n in range(61, 66)]
)
# 港澳台居民居住证 use a fixed address code per region.
HMT_ADDRESS_CODES = frozenset(["810000", "820000", "830000"])
# The 2023 外国人永久居留身份证 starts with "9" and uses the same MOD 11-2 check.
FOREIGNER_PREFIX = "9"

# GB 11643 sets no lower bound; 1850 lets the published vector 440524188001010014 (born 1880)
# pass while still catching typos such as a year of 0949.
MIN_BIRTH_YEAR = 1850


def resident_id_check_char(first17: str) -> str:
    """Return the check character for the first 17 digits of a resident ID number."""
    if len(first17) != 17 or not all_digits(first17):
        raise IdNumberError("身份证号码前17位应为数字")
    total = sum(int(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def validate_resident_id(value: str, today: date | None = None) -> str:
    """Return the normalised 18-character resident ID number or raise IdNumberError."""
    number = clean(value)
    _check_format(number)
    _check_address(number[:6])
    _parse_birth_date(number[6:14], today or date.today())
    if number[17] != resident_id_check_char(number[:17]):
        raise IdNumberError("身份证号码校验位不正确，请核对后重新输入")
    return number


def resident_id_birth_date(value: str) -> date:
    """Return the birth date encoded in a valid resident ID number."""
    number = validate_resident_id(value)
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def resident_id_sex(value: str) -> str:
    """Return "男" or "女" from the 顺序码 of a valid resident ID number (odd = male)."""
    number = validate_resident_id(value)
    return "男" if int(number[16]) % 2 else "女"


def _check_format(number: str) -> None:
    """Raise IdNumberError unless number is 17 digits followed by a digit or X."""
    if not number:
        raise IdNumberError("身份证号码不能为空")
    if len(number) == 15 and all_digits(number):
        raise IdNumberError("身份证号码应为18位，不支持15位旧号码，请输入新版18位号码")
    if len(number) != 18:
        raise IdNumberError(f"身份证号码应为18位，当前为{len(number)}位，请核对后重新输入")
    if not all_digits(number[:17]):
        raise IdNumberError("身份证号码前17位应为数字")
    if number[17] not in CHECK_CHARS:
        raise IdNumberError("身份证号码最后一位应为数字或X")


def _check_address(code: str) -> None:
    """Raise IdNumberError unless code is a plausible 6-digit address code."""
    if code.startswith(FOREIGNER_PREFIX) or code in HMT_ADDRESS_CODES or code[:2] in PROVINCE_CODES:
        return
    raise IdNumberError("身份证号码前6位地址码无效，请核对后重新输入")


def _parse_birth_date(text: str, today: date) -> date:
    """Return the YYYYMMDD birth date or raise IdNumberError if it is impossible."""
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise IdNumberError("身份证号码中的出生日期无效（第7至14位），请核对后重新输入") from None
    if born.year < MIN_BIRTH_YEAR:
        raise IdNumberError(f"身份证号码中的出生年份早于{MIN_BIRTH_YEAR}年，请核对后重新输入")
    if born > today:
        raise IdNumberError("身份证号码中的出生日期晚于今天，请核对后重新输入")
    return born
