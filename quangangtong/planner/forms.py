"""The planner's four question forms; cleaned_data becomes the planning function's keyword arguments."""

from django import forms

from quangangtong.planner.models import PlanRun
from quangangtong.planner.services import scenario_choices

DAYS_MAX = 250
REPLICATIONS_MAX = 50


def _limits(label, low, high, *, whole=True):
    kind = "整数" if whole else "数"
    message = f"{label}：请填写 {low}—{high} 之间的{kind}。"
    return {
        "required": f"{label}：请填写。",
        "invalid": message,
        "min_value": message,
        "max_value": message,
        "max_decimal_places": message,
    }


class PlanForm(forms.Form):
    """What every question shares: the scenario, how long and how often to simulate, and the service level."""

    kind = None
    # Questions that simulate many candidates start shorter than a single run (the CLI's defaults).
    initial_values = {}

    scenario = forms.ChoiceField(
        label="场景",
        error_messages={"required": "场景：请选择场景。", "invalid_choice": "场景：请从列表中选择场景。"},
    )
    days = forms.IntegerField(
        label="模拟天数",
        min_value=1,
        max_value=DAYS_MAX,
        initial=20,
        help_text=f"每次重复模拟的开放日数（1—{DAYS_MAX}）",
        error_messages=_limits("模拟天数", 1, DAYS_MAX),
    )
    replications = forms.IntegerField(
        label="重复次数",
        min_value=2,
        max_value=REPLICATIONS_MAX,
        initial=10,
        help_text=f"独立重复的次数（2—{REPLICATIONS_MAX}），用于计算 95% 置信区间",
        error_messages=_limits("重复次数", 2, REPLICATIONS_MAX),
    )
    seed = forms.IntegerField(
        label="随机种子",
        min_value=0,
        max_value=2**31 - 1,
        initial=1,
        help_text="相同种子、相同参数得到相同结果",
        error_messages=_limits("随机种子", 0, 2**31 - 1),
    )
    service_factor = forms.FloatField(
        label="办理时长系数",
        min_value=0.1,
        max_value=5,
        initial=1.0,
        help_text="0.5 表示每笔办理时长减半（如部分工作移到后台）",
        error_messages=_limits("办理时长系数", 0.1, 5, whole=False),
    )
    within_minutes = forms.FloatField(
        label="服务水平等待上限（分钟）",
        min_value=1,
        max_value=120,
        initial=15,
        help_text="统计“多少分钟内被叫号”的比例",
        error_messages=_limits("服务水平等待上限", 1, 120, whole=False),
    )

    def __init__(self, *args, scenario=None, **kwargs):
        kwargs.setdefault("auto_id", f"{self.kind}-%s")
        super().__init__(*args, **kwargs)
        for name, value in self.initial_values.items():
            self.fields[name].initial = value
        self.scenarios = scenario_choices()
        self.fields["scenario"].choices = [(c.name, f"{c.title}（{c.name}）") for c in self.scenarios.values()]
        chosen = self.scenarios.get(scenario) or next(iter(self.scenarios.values()), None)
        if chosen is not None:
            self.fields["scenario"].initial = chosen.name
        self._layout_field_setup(chosen)

    def _layout_field_setup(self, chosen):
        """Offer the layouts grouped by scenario; clean() checks the layout belongs to the chosen scenario."""
        field = self.fields.get("layout") or self.fields.get("layouts")
        if field is None:
            return
        field.choices = [
            (f"{c.title}（{c.name}）", [(name, f"{name}：{title}") for name, title in c.layouts.items()])
            for c in self.scenarios.values()
        ]
        if chosen is not None and "layout" in self.fields:
            field.initial = chosen.default_layout
        elif chosen is not None:
            field.initial = list(chosen.layouts)

    def clean(self):
        cleaned = super().clean()
        choice = self.scenarios.get(cleaned.get("scenario"))
        named = cleaned.get("layouts") or ([cleaned["layout"]] if cleaned.get("layout") else [])
        if choice is not None:
            unknown = [name for name in named if name not in choice.layouts]
            if unknown:
                field = "layouts" if "layouts" in self.fields else "layout"
                self.add_error(field, f"布局：场景 {choice.name} 没有 {'、'.join(unknown)}，请选择该场景的布局。")
        return cleaned

    def parameters(self):
        """Return the planning function's keyword arguments (without workers and progress)."""
        return dict(self.cleaned_data)


def _layout_field():
    return forms.ChoiceField(
        label="布局",
        error_messages={"required": "布局：请选择布局。", "invalid_choice": "布局：请从列表中选择布局。"},
    )


class RunForm(PlanForm):
    kind = PlanRun.Kind.RUN
    title = "模拟一个布局"
    description = "这支队伍、这个排班、这样的办件量：平均和 90% 分位等待、服务水平、各时段等待和人员利用率。"
    field_order = ["scenario", "layout"]

    layout = _layout_field()


class CompareForm(PlanForm):
    kind = PlanRun.Kind.COMPARE
    title = "比较多个布局"
    description = "同一批办事群众（相同随机种子）下并排比较几个布局，如改革前后。"
    field_order = ["scenario", "layouts"]

    layouts = forms.MultipleChoiceField(
        label="要比较的布局",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "要比较的布局：请至少选择两个布局。",
            "invalid_choice": "要比较的布局：请从列表中选择布局。",
        },
    )

    def clean_layouts(self):
        layouts = self.cleaned_data["layouts"]
        if len(layouts) < 2:
            raise forms.ValidationError("要比较的布局：请至少选择两个布局。")
        return layouts


class StaffForm(PlanForm):
    kind = PlanRun.Kind.STAFF
    title = "排班测算"
    description = "每周各时段至少需要几人在岗才能达到目标，以及覆盖这些需求的排班。"
    field_order = ["scenario", "layout", "target_percent", "max_mean_wait_minutes"]
    initial_values = {"days": 10, "replications": 6}

    layout = _layout_field()
    target_percent = forms.FloatField(
        label="目标服务水平（%）",
        min_value=50,
        max_value=99,
        initial=80,
        help_text="在上面的等待上限内被叫号的比例，如 80",
        error_messages=_limits("目标服务水平", 50, 99, whole=False),
    )
    max_mean_wait_minutes = forms.FloatField(
        label="平均等待不超过（分钟，可不填）",
        required=False,
        min_value=1,
        max_value=120,
        error_messages=_limits("平均等待上限", 1, 120, whole=False),
    )

    def parameters(self):
        parameters = dict(self.cleaned_data)
        parameters["target_share"] = parameters.pop("target_percent") / 100
        return parameters


class CrossTrainForm(PlanForm):
    kind = PlanRun.Kind.CROSS_TRAIN
    title = "交叉培训建议"
    description = "按现在的技能矩阵，新增哪几项（人员、事项组）认证最能缩短等待；布局是开放链或孤岛时给出提醒。"
    field_order = ["scenario", "layout", "k"]
    initial_values = {"days": 5, "replications": 4}

    layout = _layout_field()
    k = forms.IntegerField(
        label="新增认证数",
        min_value=1,
        max_value=10,
        initial=3,
        help_text="建议几项新的（人员、事项组）认证（1—10）",
        error_messages=_limits("新增认证数", 1, 10),
    )


FORMS = {form.kind: form for form in (RunForm, CompareForm, StaffForm, CrossTrainForm)}
