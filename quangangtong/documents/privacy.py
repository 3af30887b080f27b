"""Keep full identity numbers off printed notices unless the caller explicitly allows them."""

import re
import unicodedata
from dataclasses import fields, is_dataclass

from quangangtong.documents.errors import DocumentError
from quangangtong.ids import IdNumberError, validate_resident_id

# In a field meant to hold a masked number, any unmasked 18-character form or a legacy 15-digit number is refused.
UNMASKED_IN_ID_FIELD = re.compile(r"[0-9]{17}[0-9X]|(?<![0-9A-Z])[0-9]{15}(?![0-9A-Z])")
# Elsewhere only a run that passes the GB 11643 check is refused, so phone or tracking numbers still print.
ID_CANDIDATE = re.compile(r"(?=([0-9]{17}[0-9X]))")
# The document's own identifiers: a case number such as 320102 + 20260930 + 0001 can look like an ID number.
NOT_SCANNED = frozenset({"case_number", "document_number", "progress_url"})
ID_FIELD_SUFFIX = "_id_masked"


def full_ids_refuse(notice, *, allow_full_id=False):
    """Raise DocumentError if any text of notice carries a full identity number, unless allow_full_id."""
    if allow_full_id:
        return
    for name, text in _texts(notice):
        normalised = unicodedata.normalize("NFKC", text).upper()
        if name.endswith(ID_FIELD_SUFFIX):
            if UNMASKED_IN_ID_FIELD.search(re.sub(r"[\s\-]", "", normalised)):
                raise DocumentError(
                    f"{name} 含有未遮蔽的完整证件号码：请先用 quangangtong.ids.mask_id_number 遮蔽，"
                    "确需打印完整号码时由有权查看的角色以 allow_full_id=True 调用",
                    field=name,
                )
        elif any(_is_resident_id(match) for match in ID_CANDIDATE.findall(normalised)):
            raise DocumentError(
                f"{name} 中含有完整的身份证号码，文书上不得出现；请删去或遮蔽后再打印",
                field=name,
            )


def _is_resident_id(text):
    try:
        validate_resident_id(text)
    except IdNumberError:
        return False
    return True


def _texts(value, name=""):
    """Yield (field name, text) for every string in a dataclass, descending into tuples of dataclasses."""
    if is_dataclass(value):
        for f in fields(value):
            if f.name not in NOT_SCANNED:
                yield from _texts(getattr(value, f.name), f.name)
    elif isinstance(value, tuple | list):
        for element in value:
            yield from _texts(element, name)
    elif isinstance(value, str):
        yield name, value
