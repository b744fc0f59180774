"""Domain glossary: one place that maps Chinese domain terms to the identifiers used in code.

办事指南 -> service guide (:class:`knowledge.schema.Item`), 要素 -> element, 情形 -> scenario,
一件事 -> bundle, 一次性告知单 -> notice (:class:`knowledge.checklist.Notice`).
"""

from __future__ import annotations

# Every element of a service guide, in the order of the national implementation-list schema.
ELEMENTS: dict[str, str] = {
    "name": "事项名称",
    "aliases": "别名与常用说法",
    "item_type": "事项类型",
    "catalog_code": "基本编码",
    "implementation_code": "实施编码",
    "handling_item": "业务办理项",
    "version": "事项版本",
    "status": "事项状态",
    "effective_date": "生效日期",
    "basis": "设定依据",
    "power_source": "权力来源",
    "level": "行使层级",
    "department": "实施主体",
    "department_nature": "实施主体性质",
    "entrusted_department": "委托部门",
    "joint_departments": "联办机构",
    "target": "服务对象",
    "overview": "事项简介",
    "conditions": "受理条件",
    "materials": "申请材料",
    "legal_time_limit": "法定办结时限",
    "promised_time_limit": "承诺办结时限",
    "case_type": "办件类型",
    "handling_form": "办理形式",
    "visits": "到办事现场次数",
    "process": "办理流程",
    "special_procedures": "特别程序",
    "intermediary_services": "中介服务",
    "fee": "收费标准",
    "location": "办理地点",
    "office_hours": "办理时间",
    "traffic": "交通指引",
    "consult": "咨询方式",
    "complaint": "监督投诉方式",
    "result": "审批结果",
    "delivery": "结果送达",
    "quantity_limit": "数量限制",
    "online": "网上办理",
    "convenience": "便民属性",
    "cross_region": "通办范围",
    "rights_remedies": "权利与救济",
    "faq": "常见问题",
    "scenario": "办理情形",
}

# Metadata about a guide, kept out of ELEMENTS on purpose: it is not an element of the national schema, so it
# counts for no completeness, cannot be listed in ``unknown``, and no answer quotes it as a guide element.
METADATA: dict[str, str] = {
    "legal_review": "法律依据审核",
}

# Elements whose content must be real (never a placeholder) in a catalogue checked with ``strict``.
CORE_ELEMENTS: tuple[str, ...] = (
    "basis",
    "conditions",
    "materials",
    "legal_time_limit",
    "fee",
    "process",
    "result",
)

# Explicit markers an author writes where an element has no content of its own.
NOT_APPLICABLE = "无"
LOCALLY_DECIDED = "由本地确定"
UNKNOWN = "未知"  # set by importers for elements the source does not carry

BUNDLE = "一件事"
NOTICE = "一次性告知单"
