"""The accounts app's models, one module per concept (accounts/<concept>/models.py), gathered
here: Django loads an app's models from ``<app>.models``. Import them from their concept's module;
this module only collects them (same app label and tables as before the split)."""

from __future__ import annotations

from accounts.account.models import (
    Account,
    CreditRating,
    DevelopmentStage,
    Industry,
    LifecycleStatus,
    RevenueBand,
)
from accounts.contacts.models import BuyingRole, Contact, ContactLevel, phone_validator
from accounts.contracts.models import Contract, ContractStatus
from accounts.figures.models import AccountFigures
from accounts.imports.models import (
    ImportFormat,
    ImportJob,
    ImportKind,
    ImportMode,
    ImportStatus,
    import_report_to,
    import_upload_to,
)
from accounts.standards.models import ServiceStandard
from accounts.team.models import AccountTeamMember, TeamRole
from accounts.tiering.models import (
    TIER_RANK,
    TIERS_DESC,
    AccountTier,
    Criterion,
    Tier,
    TierChange,
    TierChangeSource,
    TierPolicy,
)
from accounts.transactions.models import Transaction

__all__ = [
    "TIERS_DESC", "TIER_RANK", "Account", "AccountFigures", "AccountTeamMember", "AccountTier",
    "BuyingRole", "Contact", "ContactLevel", "Contract", "ContractStatus", "CreditRating",
    "Criterion", "DevelopmentStage", "ImportFormat", "ImportJob", "ImportKind", "ImportMode",
    "ImportStatus", "Industry", "LifecycleStatus", "RevenueBand", "ServiceStandard", "TeamRole",
    "Tier", "TierChange", "TierChangeSource", "TierPolicy", "Transaction", "import_report_to",
    "import_upload_to", "phone_validator",
]
