"""The planner's four question forms (cleaned_data becomes the planning function's keyword arguments), and the
forms that save a scenario: pasted or uploaded YAML, an edited copy, or a calibration from a site's tickets."""

from django import forms

from quangangtong.hall.models import Site
from quangangtong.planner.models import PlanRun
from quangangtong.planner.services import SCENARIO_TEXT_MAX_CHARS, TITLE_MAX_CHARS, scenario_choices

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
        self.fields["scenario"].choices = [(c.name, c.label) for c in self.scenarios.values()]
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
            (c.label, [(name, f"{name}：{title}") for name, title in c.layouts.items()])
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
    field_order = ["scenario", "layout", "target_percent", "max_mean_wait_minutes", "half_days"]
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
    half_days = forms.BooleanField(
        label="也排上午班、下午班",
        required=False,
        help_text="有兼职或借调人员时勾选；不勾选只排全天班（错峰午休）",
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


# --- saving scenarios --------------------------------------------------------------------------------------------

UPLOAD_MAX_BYTES = 1_000_000


def _title_field():
    return forms.CharField(
        label="场景名称（可不填）",
        required=False,
        max_length=TITLE_MAX_CHARS,
        help_text="不填时用场景文件里的 title",
        error_messages={"max_length": f"场景名称：请不超过 {TITLE_MAX_CHARS} 个字。"},
    )


def _text_field(*, required):
    return forms.CharField(
        label="场景文件（YAML）",
        required=required,
        strip=False,
        max_length=SCENARIO_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "yaml"}),
        error_messages={
            "required": "场景文件：请粘贴场景的 YAML 文本。",
            "max_length": f"场景文件：请不超过 {SCENARIO_TEXT_MAX_CHARS} 个字符。",
        },
    )


class ScenarioNewForm(forms.Form):
    """A new scenario: a .yaml file uploaded, or its text pasted."""

    title = _title_field()
    file = forms.FileField(
        label="上传 .yaml 文件",
        required=False,
        help_text="可以先用“下载”得到的文件修改后再上传",
        error_messages={"invalid": "上传文件：请选择一个 .yaml 文件。", "empty": "上传文件：文件是空的。"},
    )
    text = _text_field(required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "new-%s")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if not upload.name.lower().endswith((".yaml", ".yml")):
            raise forms.ValidationError(f"上传文件：{upload.name} 不是 .yaml 文件，请上传场景的 YAML 文件。")
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(f"上传文件：{upload.name} 超过 1 MB，场景文件不会这么大，请检查是否选错文件。")
        try:
            upload.scenario_text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                f"上传文件：{upload.name} 不是 UTF-8 编码的文本，请用 UTF-8 保存后再上传。"
            ) from error
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned.get("file") is None and not cleaned.get("text", "").strip():
            raise forms.ValidationError("场景文件：请上传 .yaml 文件，或把 YAML 文本粘贴到文本框里。")
        if cleaned.get("file") is not None and cleaned.get("text", "").strip():
            raise forms.ValidationError("场景文件：上传文件和粘贴文本只能选一种，请清空文本框或不选文件。")
        return cleaned


class ScenarioEditForm(forms.Form):
    """An edited copy of a saved scenario (saved as a new scenario; the original is kept as it was)."""

    title = _title_field()
    text = _text_field(required=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "edit-%s")
        super().__init__(*args, **kwargs)


class CalibrateForm(forms.Form):
    """A scenario calibrated from a site's tickets: arrivals, counter times, learning factors and no-shows."""

    site = forms.ChoiceField(
        label="站点",
        error_messages={"required": "站点：请选择站点。", "invalid_choice": "站点：请从列表中选择站点。"},
    )
    weeks = forms.IntegerField(
        label="统计周数",
        min_value=1,
        max_value=52,
        initial=8,
        help_text="用截止日期前多少周的取号记录（1—52）",
        error_messages=_limits("统计周数", 1, 52),
    )
    until = forms.DateField(
        label="截止日期（可不填）",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="不填为昨天（今天还没结束，办件量会偏低）",
        error_messages={"invalid": "截止日期：请填写日期，如 2026-03-27。"},
    )
    title = _title_field()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "calibrate-%s")
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [
            (code, f"{name}（{code}）") for code, name in Site.objects.values_list("code", "name")
        ]
        self.fields["title"].help_text = "不填时为“站点名（按起止日期的取号记录校准）”"
