"""What can be imported: the field specifications of each kind (``FieldSpec``, ``KindSpec``,
``SPECS`` — the target fields of accounts, contacts and transactions with the headers they are
recognised by), header normalisation, the mapping suggested from a file's headers
(``suggest_mapping``) and the fields offered on the mapping form (``field_choices``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from accounts.account.models import Account
from accounts.account.services import ACCOUNT_EDITABLE_FIELDS
from accounts.contacts.models import Contact
from accounts.imports.models import ImportKind
from accounts.transactions.models import Transaction

# --- field specifications ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the key of ImportJob.mapping
    required: bool = False
    ref: str | None = None  # "account" / "parent": an account's external id; "owner": a member
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindSpec:
    model: type[models.Model]
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    def label(self, name: str) -> str:
        spec = self.field(name)
        if spec.ref is not None:
            return str(_REF_LABELS[spec.ref])
        return str(self.model._meta.get_field(name).verbose_name)


_REF_LABELS = {
    "account": gettext_lazy("account (its external ID)"),
    "parent": gettext_lazy("parent account (its external ID)"),
    "owner": gettext_lazy("owner (username or email)"),
}

# Headers a spreadsheet names a field by, in Chinese and in English, beside the field's name and
# its label in every language (compared without case, spaces and punctuation: "Order no." matches
# "order no", "ORDER_NO"). A header may name one field of a kind only (tests/accounts/imports).
_ACCOUNT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("客户名称", "名称", "公司名称", "企业名称", "客户全称", "客户",
             "Account name", "Account", "Customer", "Customer name", "Client", "Client name",
             "Company", "Company name", "Legal name"),
    "short_name": ("简称", "客户简称", "公司简称",
                   "Short name", "Abbreviation", "Alias", "Display name"),
    "unified_social_credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "税号",
                                   "纳税人识别号",
                                   "USCC", "Credit code", "Social credit code", "Tax ID",
                                   "Tax number", "Taxpayer ID", "Registration number"),
    "industry": ("行业", "所属行业", "Industry", "Sector", "Industry sector", "Vertical"),
    "province": ("省份", "省", "所在省份", "Province", "State", "Province/State"),
    "city": ("城市", "市", "所在城市", "City", "Town"),
    "employee_count": ("员工人数", "员工数", "人数",
                       "Employees", "Employee count", "Number of employees", "No. of employees",
                       "Headcount", "Staff", "Staff count"),
    "annual_revenue_band": ("年营业额", "年收入", "营收规模",
                            "Annual revenue", "Revenue band", "Revenue range", "Revenue",
                            "Annual turnover", "Turnover"),
    "business_scope": ("经营范围", "Business scope", "Scope of business", "Business activities"),
    "development_stage": ("发展阶段", "Development stage", "Stage", "Company stage",
                          "Growth stage"),
    "parent": ("上级客户", "上级客户编号", "上级客户外部编号", "母公司", "母公司编号", "集团",
               "Parent", "Parent account", "Parent ID", "Parent account ID",
               "Parent account external ID", "Parent external ID", "Parent account number",
               "Parent account no.", "Parent company", "Parent company ID", "Group",
               "Holding company"),
    "owner": ("负责人", "客户经理", "归属人",
              "Owner", "Account owner", "Account manager", "Key account manager", "KAM",
              "Sales rep", "Sales representative", "Salesperson", "Assigned to", "Responsible",
              "Owner email", "Owner username"),
    "lifecycle_status": ("生命周期状态", "客户状态", "状态",
                         "Lifecycle status", "Status", "Lifecycle", "Lifecycle stage",
                         "Customer status", "Account status"),
    "strategic_value": ("战略价值", "Strategic value", "Strategic importance", "Strategic score"),
    "language": ("语言", "客户语言", "Language", "Customer language"),
    "credit_rating": ("信用等级", "信用评级", "Credit rating", "Credit", "Credit grade", "Rating"),
    "notes": ("备注", "说明", "Notes", "Note", "Remarks", "Remark", "Comments", "Comment",
              "Description"),
    "external_id": ("外部编号", "外部id", "客户编号", "编号", "erp编号", "客户代码",
                    "External ID", "Account ID", "Account number", "Account no.", "Account code",
                    "Customer ID", "Customer number", "Customer no.", "Customer code",
                    "Client ID", "Client number", "Client no.", "ERP ID", "ERP number",
                    "Number", "Code", "Reference", "Ref"),
}

# The account a contact or a transaction belongs to, by its external ID.
_ACCOUNT_REF_SYNONYMS = (
    "客户编号", "客户外部编号", "所属客户编号", "客户代码", "客户", "所属客户",
    "Account", "Account ID", "Account external ID", "Account number", "Account no.",
    "Account code", "Customer", "Customer ID", "Customer number", "Customer no.",
    "Customer code", "Client ID", "Company ID",
)
_ACCOUNT_REQUIRED = {"name", "external_id"}
_ACCOUNT_REFS = {"parent": "parent", "owner": "owner"}

SPECS: dict[str, KindSpec] = {
    ImportKind.ACCOUNTS: KindSpec(model=Account, fields=tuple(
        FieldSpec(name, required=name in _ACCOUNT_REQUIRED, ref=_ACCOUNT_REFS.get(name),
                  synonyms=_ACCOUNT_SYNONYMS.get(name, ()))
        for name in ACCOUNT_EDITABLE_FIELDS
    )),
    ImportKind.CONTACTS: KindSpec(model=Contact, fields=(
        FieldSpec("account", required=True, ref="account", synonyms=_ACCOUNT_REF_SYNONYMS),
        FieldSpec("name", required=True, synonyms=(
            "姓名", "联系人", "联系人姓名",
            "Contact", "Contact name", "Contact person", "Full name", "Person")),
        FieldSpec("title", synonyms=("职务", "职位", "岗位",
                                     "Job title", "Position", "Job")),
        FieldSpec("department", synonyms=("部门", "所属部门",
                                          "Department", "Dept", "Dept.", "Division",
                                          "Business unit")),
        FieldSpec("level", synonyms=("层级", "级别", "联系人层级",
                                     "Contact level", "Seniority", "Management level")),
        FieldSpec("buying_role", synonyms=("采购角色", "决策角色", "角色",
                                           "Buying role", "Role", "Decision role",
                                           "Purchasing role", "Buyer role")),
        FieldSpec("relationship_strength", synonyms=("关系强度", "关系紧密度", "亲密度",
                                                     "Relationship", "Closeness",
                                                     "Relationship score")),
        FieldSpec("phone", synonyms=("电话", "手机", "手机号", "联系电话",
                                     "Phone number", "Telephone", "Tel", "Mobile", "Mobile phone",
                                     "Mobile number", "Cell", "Cell phone")),
        FieldSpec("email", synonyms=("邮箱", "电子邮件", "电子邮箱", "邮件",
                                     "E-mail", "Email address", "E-mail address", "Mail")),
        FieldSpec("wechat_id", synonyms=("微信", "微信号", "WeChat", "Weixin", "WeChat account")),
        FieldSpec("birthday", synonyms=("生日", "出生日期",
                                        "Date of birth", "Birth date", "DOB")),
        FieldSpec("birthday_is_lunar", synonyms=("农历生日", "Lunar birthday")),
        FieldSpec("birthday_lunar_leap", synonyms=("闰月", "闰月生日", "Leap month",
                                                   "In a leap month")),
        FieldSpec("care_opt_out", synonyms=("不提醒关怀", "No care reminders", "Care opt-out")),
        FieldSpec("external_id", required=True, synonyms=(
            "外部编号", "联系人编号", "外部id", "编号",
            "Contact ID", "Contact number", "Contact no.", "Contact code", "ERP ID", "Number",
            "Code", "Reference", "Ref")),
    )),
    ImportKind.TRANSACTIONS: KindSpec(model=Transaction, fields=(
        FieldSpec("account", required=True, ref="account", synonyms=_ACCOUNT_REF_SYNONYMS),
        FieldSpec("date", required=True, synonyms=(
            "日期", "交易日期", "订单日期", "下单日期", "开票日期",
            "Order date", "Transaction date", "Invoice date", "Posting date", "Document date",
            "Booking date")),
        FieldSpec("amount", required=True, synonyms=(
            "金额", "交易金额", "订单金额", "销售额", "含税金额",
            "Order amount", "Transaction amount", "Invoice amount", "Sales amount", "Net amount",
            "Total", "Total amount", "Order value", "Value", "Sales", "Revenue")),
        FieldSpec("gross_margin", synonyms=("毛利", "毛利额", "毛利润",
                                            "Gross margin", "Margin", "Gross profit", "Profit")),
        FieldSpec("product_line", synonyms=("产品线", "产品", "产品类别",
                                            "Product line", "Product", "Product category",
                                            "Product group", "Category")),
        FieldSpec("external_id", required=True, synonyms=(
            "外部编号", "交易编号", "订单编号", "订单号", "单号", "外部id", "编号",
            "Order number", "Order no.", "Order ID", "Order", "Transaction ID",
            "Transaction number", "Transaction no.", "Invoice number", "Invoice no.",
            "Invoice ID", "Document number", "Document no.", "ERP ID", "Number", "Reference",
            "Ref")),
    )),
}


def _norm_header(value: str) -> str:
    return re.sub(r"[\s_\-*（）()：:./#]", "", value.strip().lower())


def suggest_mapping(*, kind: str, columns: list[str]) -> dict[str, str]:
    """Target field → source column, guessed from the headers (field names, verbose names in every
    language, and common Chinese headers). Each column is suggested for one field at most."""
    spec = SPECS[kind]
    lookup: dict[str, str] = {}

    def add(key: str, name: str) -> None:
        lookup.setdefault(_norm_header(key), name)

    for f in spec.fields:  # exact field names first: they win over any synonym
        add(f.name, f.name)
    for lang, _name in settings.LANGUAGES:
        with translation.override(lang):
            for f in spec.fields:
                add(spec.label(f.name), f.name)
                if f.ref is None:
                    add(str(spec.model._meta.get_field(f.name).verbose_name), f.name)
    for f in spec.fields:
        for synonym in f.synonyms:
            add(synonym, f.name)
    mapping: dict[str, str] = {}
    for column in columns:
        target = lookup.get(_norm_header(column))
        if target is not None and target not in mapping:
            mapping[target] = column
    return mapping


def template_headers(*, kind: str) -> list[str]:
    """The header row of an empty file to fill for ``kind``: every field's label in the active
    language, in form order (``suggest_mapping`` recognises each, in every language)."""
    return [capfirst(label) for _name, label, _required in field_choices(kind=kind)]


def field_choices(*, kind: str) -> list[tuple[str, str, bool]]:
    """(field, label, required) of one kind, in form order."""
    spec = SPECS[kind]
    return [(f.name, spec.label(f.name), f.required) for f in spec.fields]
