from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # What the app plugs into kam's seams (other apps do the same from their ready()):
        # its nightly jobs, the 360° page's timeline sources, the rows a new tenant starts with (its
        # service standards),
        # the visibility rule of everything that hangs off an account (and the selector that applies
        # it per model), its Celery task, and the kinds of events it notifies people of (kam.notify).
        from accounts.account.models import Account
        from accounts.account.selectors import account_visible_queryset, has_account
        from accounts.contacts.models import Contact
        from accounts.contacts.selectors import contact_visible_queryset
        from accounts.contacts.timeline import contacts_source
        from accounts.contracts.models import Contract
        from accounts.contracts.selectors import contract_visible_queryset
        from accounts.contracts.timeline import contracts_source
        from accounts.figures import jobs as figures_jobs  # noqa: F401  (registers the job)
        from accounts.imports import notifications as import_notifications
        from accounts.imports import tasks as import_tasks  # noqa: F401  (registers the task)
        from accounts.profile.timeline import register_timeline_source
        from accounts.standards.services import standards_seed
        from accounts.team.models import AccountTeamMember
        from accounts.team.selectors import team_queryset
        from accounts.tiering import jobs as tiering_jobs  # noqa: F401
        from accounts.tiering import notifications as tiering_notifications
        from accounts.tiering.models import TierChange
        from accounts.tiering.selectors import tier_change_visible_queryset
        from accounts.tiering.timeline import tier_changes_source
        from accounts.transactions.models import Transaction
        from accounts.transactions.selectors import transaction_visible_queryset
        from accounts.transactions.timeline import transactions_by_month_source
        from kam import visibility
        from kam.services import register_tenant_setup

        for source in (transactions_by_month_source, contacts_source, contracts_source,
                       tier_changes_source):
            register_timeline_source(source)
        visibility.require(has_account)
        for model, selector in ((Account, account_visible_queryset),
                                (Contact, contact_visible_queryset),
                                (Contract, contract_visible_queryset),
                                (Transaction, transaction_visible_queryset),
                                (AccountTeamMember, team_queryset),
                                (TierChange, tier_change_visible_queryset)):
            visibility.register_selector(model, selector)
        register_tenant_setup(standards_seed)
        tiering_notifications.register()
        import_notifications.register()
        _register_my_day()


def _register_my_day() -> None:
    """My day's section of the app (kam.myday): the tier changes since the previous login."""
    from accounts.tiering.myday import my_day_tier_changes
    from kam.myday import MyDaySection, register_my_day_section

    register_my_day_section(MyDaySection(
        key="tier-changes", title=_("Tier changes"), template="accounts/_my_day_tier_changes.html",
        load=my_day_tier_changes, order=90))
