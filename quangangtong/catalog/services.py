from django.db.models import Count, Q

from quangangtong.catalog.models import Department, ModeTag, ServiceItem
from quangangtong.catalog.pinyin import normalise_query, pinyin_keys


def item_search(*, q="", department="", tag="", level="", item_type="", case_type=""):
    """Return the active items matching the public guide's filters and a text or pinyin query.

    A query matches the name or keywords as typed (身份证), their full pinyin (minban for 民办,
    shenfenzheng) or their initials (sfz); a query in hanzi is also tried as pinyin so a
    homophone spelled differently in the keywords still matches.
    """
    items = ServiceItem.objects.filter(is_active=True).select_related("department").prefetch_related("modes")
    if department:
        items = items.filter(department__code=department)
    if tag:
        # Tag codes are unique, so this join matches at most one row per item: no DISTINCT needed.
        items = items.filter(modes__code=tag)
    if level:
        items = items.filter(level=level)
    if item_type:
        items = items.filter(item_type=item_type)
    if case_type:
        items = items.filter(case_type=case_type)
    q = q.strip()
    if q:
        matches = Q()
        for word in q.split():
            latin = normalise_query(word)
            word_match = Q(name__icontains=word) | Q(keywords__icontains=word)
            if latin and latin == word.lower():
                word_match |= Q(pinyin_full__contains=latin) | Q(pinyin_initials__contains=latin)
            elif not latin:
                word_match |= Q(pinyin_full__contains=pinyin_keys(word)[0])
            matches &= word_match
        items = items.filter(matches)
    return items


def mode_counts():
    """Return the mode tags, each annotated with item_count of active items."""
    # Meta.ordering is not applied to GROUP BY queries, so the order is spelled out.
    return ModeTag.objects.annotate(item_count=Count("items", filter=Q(items__is_active=True))).order_by(
        "sort_order", "code"
    )


def department_counts():
    """Return the departments, each annotated with item_count of active items."""
    return Department.objects.annotate(item_count=Count("items", filter=Q(items__is_active=True))).order_by(
        "sort_order", "code"
    )
