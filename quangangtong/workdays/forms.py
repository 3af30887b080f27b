from django import forms

from quangangtong.workdays.models import SpecialDay
from quangangtong.workdays.services import YEAR_MAX, YEAR_MIN


class SpecialDayForm(forms.Form):
    date = forms.DateField(
        label="日期",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "日期：请填写日期。",
            "invalid": "日期：格式应为 YYYY-MM-DD，例如 2027-01-01。",
        },
    )
    kind = forms.ChoiceField(
        label="类型",
        choices=SpecialDay.Kind.choices,
        error_messages={
            "required": "类型：请选择类型。",
            "invalid_choice": "类型：请选择“法定节假日/调休休息”或“调休上班”。",
        },
    )
    name = forms.CharField(
        label="名称",
        max_length=60,
        help_text="如：元旦、春节、国庆节（调休）、春节调休上班",
        error_messages={"required": "名称：请填写名称。", "max_length": "名称：最多 60 个字。"},
    )


class ScheduleYearForm(forms.Form):
    year = forms.IntegerField(
        label="年份",
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        error_messages={
            "required": "年份：请填写年份。",
            "invalid": "年份：请填写四位数字的年份，例如 2027。",
            "min_value": f"年份：请填写 {YEAR_MIN}—{YEAR_MAX} 之间的年份。",
            "max_value": f"年份：请填写 {YEAR_MIN}—{YEAR_MAX} 之间的年份。",
        },
    )
    note = forms.CharField(
        label="依据",
        required=False,
        max_length=200,
        help_text="国务院办公厅通知的标题和文号",
        error_messages={"max_length": "依据：最多 200 个字。"},
    )
