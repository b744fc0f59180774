"""Pydantic models of the catalogue: service items (办事指南), their scenario trees (情形) and bundles (一件事).

The models only check what one file can check on its own (types, enums, required fields, shapes).
Checks that span files or fields (unique names, references, time limits) live in
:mod:`knowledge.validate`.

Example:
    >>> from knowledge.schema import TimeLimit
    >>> TimeLimit(amount=20, unit="工作日").describe()
    '20个工作日'
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]

ItemType = Literal[
    "行政许可",
    "行政确认",
    "行政给付",
    "行政征收",
    "行政奖励",
    "行政裁决",
    "行政检查",
    "其他行政权力",
    "公共服务",
]
Target = Literal["自然人", "企业法人", "事业法人", "社会组织法人", "非法人企业", "行政机关", "其他组织"]
Level = Literal["国家", "省", "市", "县", "乡镇"]
TimeUnit = Literal["工作日", "自然日", "小时", "即办"]
HandlingForm = Literal["窗口办理", "网上办理", "快递申请", "自助终端"]
Delivery = Literal["窗口领取", "邮寄送达", "电子送达", "当场领取"]
MaterialForm = Literal["原件", "复印件", "原件和复印件"]
Medium = Literal["纸质", "电子", "纸质或电子"]
MaterialSource = Literal["申请人自备", "政府部门核发", "其他单位出具", "中介机构出具"]


class Model(BaseModel):
    """Base of every catalogue model: unknown keys are errors, whitespace is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)


class LegalBasis(Model):
    """One legal source of an item (设定依据)."""

    law: Text = Field(description="法律法规名称")
    article: Text = Field(description="条款号")
    text: Text = Field(description="条款内容")


class LegalReview(Model):
    """法律依据审核: when the legal basis of an item was last checked against the texts in force, and which
    texts and articles were read.

    Metadata about the guide, not one of its elements: no answer quotes it, and it counts for no completeness.

    Example:
        >>> LegalReview(date="2026-12-02", sources=["《中华人民共和国行政复议法》（2023年修订）第二十四条"]).date
        datetime.date(2026, 12, 2)
    """

    date: dt.date = Field(description="审核日期")
    sources: list[Text] = Field(min_length=1, description="所读文本和条款")


class Material(Model):
    """One application material (申请材料).

    Material ids are shared across the catalogue: the same id means the same document everywhere,
    which is how a bundle's checklist knows that two member items ask for the same thing.
    """

    id: Key = Field(description="材料编号")
    name: Text = Field(description="材料名称")
    form: MaterialForm | None = Field(default=None, description="原件/复印件（空：来源未说明）")
    medium: Medium = Field(default="纸质", description="纸质/电子")
    copies: int = Field(default=1, ge=1, le=20, description="份数")
    required: bool = Field(default=True, description="是否必需")
    base: bool = Field(
        default=True,
        description="是否所有情形都需要（否：只在选择了添加它的情形选项时需要）",
    )
    source: MaterialSource | None = Field(default=None, description="来源渠道（空：来源未说明）")
    issuer: str = Field(default="", description="出具单位或获取方式")
    blank_form: str = Field(default="", description="空白表格获取方式")
    sample: str = Field(default="", description="示例样表")
    shared: bool = Field(default=False, description="可通过数据共享免提交")
    notes: str = Field(default="", description="填报须知")


class TimeLimit(Model):
    """A time limit: a number and its unit, ``amount`` None when the law sets none."""

    amount: int | None = Field(default=None, ge=0, description="时限数值")
    unit: TimeUnit = Field(description="时限单位")
    explanation: str = Field(default="", description="时限说明")

    @model_validator(mode="after")
    def _amount_matches_unit(self) -> TimeLimit:
        if self.unit == "即办":
            if self.amount not in (None, 0):
                raise ValueError("即办 has no amount: leave amount empty or 0")
        elif self.amount is None and not self.explanation:
            raise ValueError("a time limit without amount must explain why (e.g. 法律未规定，由本地确定)")
        return self

    def in_days(self) -> float | None:
        """Approximate length in calendar days, for comparing limits; None when unknown."""
        if self.unit == "即办":
            return 0.0
        if self.amount is None:
            return None
        factor = {"工作日": 7 / 5, "自然日": 1.0, "小时": 1 / 24}[self.unit]
        return self.amount * factor

    def headline(self) -> str:
        """The limit without its explanation, e.g. ``20个工作日``, ``即办`` or ``无法定时限``."""
        if self.unit == "即办":
            return "即办"
        if self.amount is None:
            return "无法定时限"
        return f"{self.amount}{'个' if self.unit == '工作日' else ''}{self.unit}"

    def describe(self) -> str:
        """Human-readable form, e.g. ``20个工作日`` or ``即办``, with its explanation in brackets."""
        head = self.headline()
        return f"{head}（{self.explanation}）" if self.explanation else head


class Visits(Model):
    """到办事现场次数 with the reason when not zero."""

    count: int = Field(ge=0, le=5, description="次数")
    reason: str = Field(default="", description="需到现场的原因")

    @model_validator(mode="after")
    def _reason_when_needed(self) -> Visits:
        if self.count > 0 and not self.reason:
            raise ValueError("a visit count above 0 needs a reason")
        return self


class Step(Model):
    """One step of the handling process (办理流程)."""

    name: Text = Field(description="环节")
    description: Text = Field(description="办理内容")


class Process(Model):
    """办理流程: the offline steps, and the online steps where the item is handled online."""

    steps: list[Step] = Field(default_factory=list, description="线下办理流程")
    online_steps: list[Step] = Field(default_factory=list, description="网上办理流程")


class SpecialProcedure(Model):
    """特别程序 such as 实地核查 or 公示."""

    name: Text = Field(description="特别程序种类")
    description: Text = Field(description="内容")
    time: Text = Field(description="时限")
    counted_in_time_limit: bool = Field(description="是否计入办结时限")


class FeeItem(Model):
    """One charge with its standard and legal basis."""

    name: Text = Field(description="收费项目")
    standard: Text = Field(description="收费标准")
    basis: Text = Field(description="收费依据")


class Fee(Model):
    """收费标准: whether anything is charged, the charges, and waivers."""

    charged: bool | None = Field(default=None, description="是否收费（空：来源未说明）")
    items: list[FeeItem] = Field(default_factory=list, description="收费项目")
    waivers: list[str] = Field(default_factory=list, description="减免政策")
    note: str = Field(default="", description="说明")

    @model_validator(mode="after")
    def _items_match_charged(self) -> Fee:
        if self.charged and not self.items:
            raise ValueError("charged is true but no fee items are listed")
        if not self.charged and self.items:
            raise ValueError("charged is false or unknown but fee items are listed")
        return self

    def describe(self) -> str:
        """Human-readable fee summary, e.g. ``不收费`` or ``工本费：20元``."""
        if self.charged is None:
            text = "收费情况未知（来源未说明）"
        elif not self.charged:
            text = "不收费"
        else:
            text = "；".join(f"{i.name}：{i.standard}" for i in self.items)
        return f"{text}（{self.note}）" if self.note else text


class Location(Model):
    """办理地点 (one of possibly several)."""

    name: Text = Field(description="地点名称")
    address: Text = Field(description="地址")
    window: str = Field(default="", description="窗口")
    note: str = Field(default="", description="说明")


class Contact(Model):
    """A phone and/or website for consultation or complaints."""

    phone: Text = Field(description="电话")
    website: str = Field(default="", description="网址")
    address: str = Field(default="", description="地址")


class Result(Model):
    """审批结果: what the applicant receives."""

    type: Literal["证照", "批文", "其他"] = Field(description="结果类型")
    name: Text = Field(description="结果名称")
    sample: str = Field(default="", description="结果样本")
    validity: str = Field(default="", description="有效期")


class Online(Model):
    """网上办理: whether and how deeply the item can be handled online."""

    available: bool = Field(description="是否网办")
    depth: int | None = Field(default=None, ge=0, le=4, description="网办深度（0 不支持，一至四级；空：来源未说明）")
    pc_url: str = Field(default="", description="PC端地址")
    mobile_url: str = Field(default="", description="移动端地址")
    note: str = Field(default="", description="说明")

    @model_validator(mode="after")
    def _depth_matches(self) -> Online:
        if self.depth is not None and self.available != (self.depth > 0):
            raise ValueError("available must be true exactly when depth is 1 to 4")
        return self


class Convenience(Model):
    """便民属性."""

    in_hall: bool | None = Field(default=None, description="是否进驻政务大厅")
    appointment: bool | None = Field(default=None, description="支持预约办理")
    express: bool | None = Field(default=None, description="支持物流快递")
    online_payment: bool | None = Field(default=None, description="支持网上支付")
    self_service: bool | None = Field(default=None, description="支持自助终端")


class FAQ(Model):
    """常见问题."""

    question: Text = Field(description="问题")
    answer: Text = Field(description="解答")


class Condition(Model):
    """When a scenario question applies: after one of these options of an earlier question."""

    question: Key = Field(description="前置问题编号")
    options: list[Key] = Field(min_length=1, description="前置选项编号")


class Option(Model):
    """An answer option of a scenario question and what choosing it changes."""

    id: Key = Field(description="选项编号")
    label: Text = Field(description="选项")
    synonyms: list[str] = Field(default_factory=list, description="口语说法（用于理解自由回答）")
    add_materials: list[Key] = Field(default_factory=list, description="增加材料编号")
    remove_materials: list[Key] = Field(default_factory=list, description="免交材料编号")
    override_conditions: list[str] | None = Field(default=None, description="替换受理条件")
    override_time_limit: TimeLimit | None = Field(default=None, description="替换承诺办结时限")
    override_fee: Fee | None = Field(default=None, description="替换收费标准")
    note: str = Field(default="", description="提示")


class Question(Model):
    """A scenario question (情形类别); ``when`` makes it a follow-up of an earlier option."""

    id: Key = Field(description="问题编号")
    text: Text = Field(description="问题")
    multiple: bool = Field(default=False, description="是否多选")
    when: Condition | None = Field(default=None, description="出现条件")
    options: list[Option] = Field(min_length=2, description="选项")


class Item(Model):
    """A service item (事项) with every element of its service guide (办事指南)."""

    id: Slug = Field(description="事项编号（文件名）")
    name: Text = Field(description="事项名称")
    aliases: list[str] = Field(default_factory=list, description="别名与常用说法")
    item_type: ItemType = Field(description="事项类型")
    catalog_code: Text = Field(description="基本编码")
    implementation_code: Text = Field(description="实施编码")
    handling_item: Text = Field(description="业务办理项")
    version: Text = Field(description="事项版本")
    status: Literal["在用", "暂停", "废止"] = Field(default="在用", description="事项状态")
    effective_date: dt.date = Field(description="生效日期")
    basis: list[LegalBasis] = Field(default_factory=list, description="设定依据")
    legal_review: LegalReview | None = Field(default=None, description="法律依据审核（手工维护的目录必填）")
    power_source: Text = Field(description="权力来源")
    level: list[Level] = Field(description="行使层级")
    department: Text = Field(description="实施主体")
    department_nature: Text = Field(description="实施主体性质")
    entrusted_department: Text = Field(description="委托部门")
    joint_departments: list[str] = Field(default_factory=list, description="联办机构")
    target: list[Target] = Field(description="服务对象")
    overview: Text = Field(description="事项简介")
    conditions: list[str] = Field(description="受理条件")
    materials: list[Material] = Field(default_factory=list, description="申请材料")
    legal_time_limit: TimeLimit = Field(description="法定办结时限")
    promised_time_limit: TimeLimit = Field(description="承诺办结时限")
    case_type: Literal["即办件", "承诺件"] = Field(description="办件类型")
    handling_form: list[HandlingForm] = Field(description="办理形式")
    visits: Visits = Field(description="到办事现场次数")
    process: Process = Field(default_factory=Process, description="办理流程")
    special_procedures: list[SpecialProcedure] = Field(default_factory=list, description="特别程序")
    intermediary_services: list[str] = Field(default_factory=list, description="中介服务")
    fee: Fee = Field(default_factory=Fee, description="收费标准")
    location: list[Location] = Field(default_factory=list, description="办理地点")
    office_hours: Text = Field(description="办理时间")
    traffic: Text = Field(description="交通指引")
    consult: Contact = Field(description="咨询方式")
    complaint: Contact = Field(description="监督投诉方式")
    result: Result | None = Field(default=None, description="审批结果（空：来源未说明）")
    delivery: list[Delivery] = Field(description="结果送达")
    quantity_limit: Text = Field(description="数量限制")
    online: Online = Field(description="网上办理")
    convenience: Convenience = Field(default_factory=Convenience, description="便民属性")
    cross_region: Text = Field(description="通办范围")
    rights_remedies: list[str] = Field(description="权利与救济")
    faq: list[FAQ] = Field(default_factory=list, description="常见问题")
    scenario: list[Question] = Field(default_factory=list, description="办理情形")
    unknown: list[str] = Field(
        default_factory=list,
        description="来源缺失、标记为未知的要素（导入时填写，手工编写的事项应为空）",
    )

    def material(self, material_id: str) -> Material | None:
        """The material with this id, or None."""
        return next((m for m in self.materials if m.id == material_id), None)

    def question(self, question_id: str) -> Question | None:
        """The scenario question with this id, or None."""
        return next((q for q in self.scenario if q.id == question_id), None)


class Bundle(Model):
    """A bundle (一件事): several items a life event needs, offered as one service."""

    id: Slug = Field(description="一件事编号（文件名）")
    name: Text = Field(description="一件事名称")
    aliases: list[str] = Field(default_factory=list, description="别名与常用说法")
    department: Text = Field(description="牵头部门")
    overview: Text = Field(description="简介")
    members: list[Text] = Field(min_length=2, description="包含事项（事项名称）")
    basis: list[LegalBasis] = Field(min_length=1, description="政策依据")
    promised_time_limit: TimeLimit = Field(description="承诺办结时限")
    fee: Fee = Field(description="收费标准")
    location: list[Location] = Field(description="办理地点")
    office_hours: Text = Field(description="办理时间")
    consult: Contact = Field(description="咨询方式")
    complaint: Contact = Field(description="监督投诉方式")
    online: Online = Field(description="网上办理")
    process: Process = Field(description="办理流程")
    faq: list[FAQ] = Field(default_factory=list, description="常见问题")
    version: Text = Field(description="版本")
    effective_date: dt.date = Field(description="生效日期")


class Contacts(Model):
    """The deployment's human channel, which the assistant names whenever it cannot help itself."""

    hotline: Text = Field(description="服务热线号码，如 12345")
    hotline_name: Text = Field(description="服务热线名称，如 政务服务便民热线")
    hotline_hours: str = Field(default="", description="热线人工服务时间（空：不说明）")
    service_centre: Text = Field(description="线下服务窗口，如 示例市政务服务中心综合窗口")


class CatalogueInfo(Model):
    """``catalogue.yaml``: what a catalogue directory is and whose local data it carries."""

    name: Text = Field(description="目录名称")
    region: Text = Field(description="地区")
    fictional: bool = Field(description="地方信息是否为虚构示例")
    version: Text = Field(description="目录版本")
    require_complete: bool = Field(
        default=False, description="是否要求每个事项的要素完整（手工维护的目录应为是，导入的目录可为否）"
    )
    review_max_age_days: int = Field(
        default=365,
        ge=1,
        description="法律依据审核的最长间隔（天）：事项的审核早于此，`assistant knowledge validate` 给出警告",
    )
    notice: str = Field(default="", description="说明")
    contacts: Contacts | None = Field(
        default=None, description="人工服务渠道（热线、窗口），助手无法解答时告知；未填写时说全国统一的 12345 热线"
    )
    uncovered: list[Text] = Field(
        default=[],
        description="本目录未收录、而常被问到的服务（如 工作居住证、积分落户）：问到时助手说明未收录并告知人工渠道，"
        "不拿名称相近的事项作答；不得与事项名称或别名相同",
    )
    option_synonyms: dict[Text, list[Text]] = Field(
        default={},
        description="情形选项的共用口语说法：选项文字 -> 说法（如 委托他人代为办理: 代办、委托、替他去……），本目录每个这样写的"
        "选项都认这些说法；事项的 synonyms 只写本事项特有的说法",
    )
