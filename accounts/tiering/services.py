"""Tiering (分级), the writes: saving a policy version (``tier_policy_save``, and the form's
preview-then-save protocol), the nightly recompute (``tier_recompute``: one statement of
``accounts.tiering.sql`` that writes only changed rows and their history) and manual overrides.
The reads the pages share with them — the preview and the breakdown, the same SQL without
writes — are in ``accounts.tiering.selectors``.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.tiering.models import (
    AccountTier,
    Tier,
    TierChange,
    TierChangeSource,
    TierPolicy,
)
from accounts.tiering.notifications import TIER_CHANGED
from accounts.tiering.policy import policy_jsonable, policy_validate
from accounts.tiering.selectors import current_policy
from accounts.tiering.sql import RECOMPUTE_SQL, scoring_sql
from kam import clock
from kam.models import JobRun, Membership, Tenant
from kam.notify import notify_many
from kam.tenancy import as_tenant, get_current_tenant


class PolicyVersionConflict(Exception):
    """Someone saved another version after the one the change was based on."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the current version is {current}")
        self.current = current


@transaction.atomic
def tier_policy_save(*, criteria: Any, cutoff_strategic: Any, cutoff_key: Any,
                     cutoff_important: Any, hysteresis: Any, note: str = "",
                     created_by: Membership | None = None,
                     expected_version: int | None = None) -> TierPolicy:
    """Validate and save a new policy version (the current tenant's next number).

    ``expected_version``: the version the change was based on (0: none saved); if another was
    saved meanwhile, ``PolicyVersionConflict`` — checked under the numbering lock, so two saves
    at once cannot both pass."""
    clean = policy_validate(criteria=criteria, cutoff_strategic=cutoff_strategic,
                            cutoff_key=cutoff_key, cutoff_important=cutoff_important,
                            hysteresis=hysteresis)
    with connection.cursor() as cursor:  # versions are numbered one at a time per tenant
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('accounts.tier_policy'), "
                       "kam_current_tenant()::int)")
    last = TierPolicy.objects.order_by("-version").values_list("version", flat=True).first()
    if expected_version is not None and (last or 0) != expected_version:
        raise PolicyVersionConflict(last or 0)
    return TierPolicy.objects.create(
        version=(last or 0) + 1, criteria=policy_jsonable(clean["criteria"]),
        cutoff_strategic=clean["cutoff_strategic"], cutoff_key=clean["cutoff_key"],
        cutoff_important=clean["cutoff_important"], hysteresis=clean["hysteresis"],
        note=note[:300], created_by=created_by)


PREVIEW_SALT = "accounts.tiering_views.policy_preview"  # unchanged: open previews stay valid


class PolicyPreviewMismatch(Exception):
    """The values sent to be saved are not those the preview showed (or it showed another base)."""


def _canonical(value: Any) -> str:
    """JSON for the numbers of a normalised policy: 80, 80.0 and 80.00 are the same value."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    raise TypeError(f"not serialisable: {type(value).__name__}")


def policy_digest(clean: dict[str, Any], *, base_version: int, tenant_id: int) -> str:
    """The signature of a preview: an HMAC (keyed with SECRET_KEY) of the normalised policy
    (``policy_validate``'s result), the version the form started from and the tenant. The preview
    page carries it; a save is accepted only with the digest of exactly the submitted values."""
    payload = json.dumps({"policy": clean, "base_version": base_version, "tenant": tenant_id},
                         sort_keys=True, separators=(",", ":"), default=_canonical)
    return salted_hmac(PREVIEW_SALT, payload, algorithm="sha256").hexdigest()


def tier_policy_save_previewed(*, values: dict[str, Any], note: str,
                               created_by: Membership | None, base_version: int | None,
                               digest: str) -> TierPolicy:
    """Save ``values`` as the next version — the policy editor's protocol: only the values a
    preview showed (``digest``, from ``policy_digest``) and only on the version that preview was
    based on. ``PolicyVersionConflict`` when someone saved another version since (also when it
    happens between this check and the numbering lock), ``PolicyPreviewMismatch`` when the values
    or the base are not those previewed, ``ValidationError`` for a policy that is not valid."""
    clean = policy_validate(**values)
    current = current_policy()
    if base_version is not None and base_version < current.version:
        raise PolicyVersionConflict(current.version)
    expected = policy_digest(clean, base_version=current.version,
                             tenant_id=get_current_tenant().pk)
    if base_version != current.version or not constant_time_compare(digest or "", expected):
        raise PolicyPreviewMismatch
    return tier_policy_save(**values, note=note, created_by=created_by,
                            expected_version=current.version)


def tier_policy_ensure() -> TierPolicy:
    """The current policy, saving the built-in default as version 1 when the tenant has none."""
    policy = current_policy()
    if policy.pk is None:
        policy = tier_policy_save(criteria=policy.criteria,
                                  cutoff_strategic=policy.cutoff_strategic,
                                  cutoff_key=policy.cutoff_key,
                                  cutoff_important=policy.cutoff_important,
                                  hysteresis=policy.hysteresis,
                                  note=_("Built-in default policy"))
    return policy



@dataclass(frozen=True)
class RecomputeResult:
    examined: int
    changed: int  # account tier rows inserted or updated
    tier_changes: int  # TierChange rows recorded


_ROWS_LOCK = "accounts.tier_rows"


def _lock_tier_rows(tenant_id: int) -> None:
    """Writers of a tenant's tier rows take turns: the nightly statement and the override
    services wait for each other (transaction-scoped). Without it the statement, whose values come
    from its start-of-run snapshot, would write over an override committed while it waited for the
    row — losing the override and reusing its change number. Overrides are quick; a run takes
    seconds, during which an override waits (and so is stamped after the run's changes)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [_ROWS_LOCK, tenant_id])


def _recompute(*, tenant: Tenant, today: datetime.date | None, run: JobRun | None,
               account_ids: list[int] | None) -> RecomputeResult:
    _lock_tier_rows(tenant.pk)  # before the statement takes its snapshot
    policy = tier_policy_ensure()
    if today is None:
        today = clock.today(tenant)
    sql, params = scoring_sql(policy, accounts=account_ids is not None)
    params.update(tenant=tenant.pk, today=today, now=clock.now(), policy=policy.pk,
                  run=run.pk if run is not None else None, accounts=account_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql + RECOMPUTE_SQL, params)
        examined, changed, history = cursor.fetchone()
    return RecomputeResult(examined=examined, changed=changed, tier_changes=history)


def tier_recompute(*, tenant_id: int, today: datetime.date | None = None,
                   run: JobRun | None = None) -> RecomputeResult:
    """Score and tier every account of one tenant with its current policy: one statement that
    writes only changed rows and their history. Idempotent: a second run changes nothing."""
    with as_tenant(tenant_id), transaction.atomic():
        return _recompute(tenant=Tenant.objects.get(pk=tenant_id), today=today, run=run,
                          account_ids=None)


def tier_recompute_accounts(*, account_ids: list[int],
                            today: datetime.date | None = None) -> RecomputeResult:
    """The nightly statement for a few accounts of the current tenant (e.g. before an override
    on an account not tiered yet). Same SQL, same rules."""

    with transaction.atomic():
        return _recompute(tenant=get_current_tenant(), today=today, run=None,
                          account_ids=list(account_ids))



def tier_changes_notify(*, run: JobRun) -> int:
    """Tell each account's owner of the tier changes the nightly run ``run`` recorded (not an
    account's first tier: that is no change anyone waits for): one read of the run's changes,
    then one ``notify_many``. An event per change (its account and number), so a run notified
    twice tells no one twice. Returns how many events were new."""
    rows = list(TierChange.objects.filter(job_run_id=run.pk, account__owner__isnull=False)
                .exclude(from_tier="").order_by("id")
                .values_list("account_id", "seq", "account__name", "account__owner_id",
                             "from_tier", "to_tier", "score", "source", "changed_at"))
    if not rows:
        return 0
    items = [(f"accounts.tier:{account_id}:{seq}", [owner_id], {
        "account_id": account_id, "account_name": name, "from_tier": from_tier,
        "to_tier": to_tier, "score": score, "source": source})
        for account_id, seq, name, owner_id, from_tier, to_tier, score, source, _at in rows]
    return notify_many(kind=TIER_CHANGED, items=items, occurred_at=rows[0][-1])


# --- manual override ------------------------------------------------------------------------------


def tier_override_check(*, tier: str | None, reason: str | None, until: datetime.date | None,
                        today: datetime.date | None = None) -> None:
    """The rules of an override (``tier_override_set``'s, without the write): ``ValidationError``
    with every error. A value None is "unknown" (a page's field that did not parse): not judged."""
    errors: dict[str, list[str]] = {}
    if tier is not None and tier not in Tier.values:
        errors["tier"] = [_("Choose a tier.")]
    if reason is not None and not reason.strip():
        errors["reason"] = [_("Give a reason for the override.")]
    elif reason is not None and len(reason) > 500:
        errors["reason"] = [_("Keep the reason under 500 characters.")]
    if today is None:
        today = clock.today(get_current_tenant())
    if until is not None and until < today:
        errors["until"] = [_("The expiry date cannot be in the past.")]
    elif until is not None and until > today + datetime.timedelta(days=3 * 366):
        errors["until"] = [_("An override can last at most three years.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def tier_override_set(*, account: Account, tier: str, reason: str, until: datetime.date,
                      by: Membership | None, today: datetime.date | None = None) -> AccountTier:
    """Set (or replace) an account's manual tier until ``until`` (inclusive); recorded as a change
    when the effective tier moves. The computed tier and score stay as they are."""

    tenant = get_current_tenant()
    tier_override_check(tier=tier, reason=reason, until=until, today=today)
    _lock_tier_rows(tenant.pk)  # waits for a running nightly statement (see _lock_tier_rows)
    state = AccountTier.objects.select_for_update().filter(account=account).first()
    if state is None:  # not tiered yet: score it now (same SQL) so the computed tier is shown
        tier_recompute_accounts(account_ids=[account.pk])
        state = AccountTier.objects.select_for_update().get(account=account)
    now = clock.now()
    previous = state.tier
    state.override_tier, state.override_reason = tier, reason.strip()
    state.override_until, state.override_by, state.override_at = until, by, now
    state.tier = tier
    if previous != tier:
        state.change_seq += 1
        TierChange.objects.create(
            account=account, seq=state.change_seq, from_tier=previous, to_tier=tier,
            score=state.score, policy_id=state.policy_id, source=TierChangeSource.OVERRIDE,
            reason=state.override_reason, changed_at=now, changed_by=by)
    state.save()
    return state


@transaction.atomic
def tier_override_clear(*, account: Account, by: Membership | None) -> AccountTier | None:
    """End an override now: the account returns to its computed tier (recorded if it moves)."""
    _lock_tier_rows(account.tenant_id)  # waits for a running nightly statement
    state = AccountTier.objects.select_for_update().filter(account=account).first()
    if state is None or not state.override_tier:
        return state
    previous = state.tier
    state.override_tier, state.override_reason = "", ""
    state.override_until = state.override_by = state.override_at = None
    state.tier = state.computed_tier
    if previous != state.tier:
        state.change_seq += 1
        TierChange.objects.create(
            account=account, seq=state.change_seq, from_tier=previous, to_tier=state.tier,
            score=state.score, policy_id=state.policy_id,
            source=TierChangeSource.OVERRIDE_ENDED,
            reason="", changed_at=clock.now(), changed_by=by)
    state.save()
    return state
