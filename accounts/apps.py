from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # What the app plugs into kam's seams (other apps do the same from their ready()):
        # its nightly jobs, the 360° page's timeline sources, the rows a new tenant starts with (its
        # service standards),
        # the visibility rule of everything that hangs off an account, and its Celery task.
        from accounts.account.selectors import has_account
        from accounts.contacts.timeline import contacts_source
        from accounts.contracts.timeline import contracts_source
        from accounts.figures import jobs as figures_jobs  # noqa: F401  (registers the job)
        from accounts.imports import tasks as import_tasks  # noqa: F401  (registers the task)
        from accounts.profile.timeline import register_timeline_source
        from accounts.standards.services import standards_seed
        from accounts.tiering import jobs as tiering_jobs  # noqa: F401
        from accounts.tiering.timeline import tier_changes_source
        from accounts.transactions.timeline import transactions_by_month_source
        from kam import visibility
        from kam.services import register_tenant_setup

        for source in (transactions_by_month_source, contacts_source, contracts_source,
                       tier_changes_source):
            register_timeline_source(source)
        register_tenant_setup(standards_seed)
        visibility.require(has_account)
