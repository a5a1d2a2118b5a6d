"""Value records and past milestones from a CSV file, the two kinds of import that belong to journeys
(``portal.imports`` reads the file, plans, runs and rolls back; these say what a row is).

**Value records** (a billing system's export): each row names its account (external ID, else
domain, else name), an amount in yen, the date the value came and an optional note. A record just
like one the account has (same date, amount and note) is unchanged, so the same file imported twice
records nothing twice (a file with two such rows records two, as the account has them). The account's
ROI milestones follow the new records, once per account and batch; notices of milestones reached long
ago are not sent (``MILESTONE_NOTICE_MAX_AGE``).

**Past milestones** (the history of customers who reached value before Kachi measured it): each row
names its account, a milestone key, when it was reached and, optionally, the playbook key. It is
recorded as ``journeys.onboarding.services.backfill.achievement_import`` records one from the API:
source "import", no notice, no webhook, the journey started at the contract start if the account has
none on that playbook. A milestone the account has reached already is unchanged.

Rolling back deletes the value records the import made (softly, with the reason in their history)
and revokes the milestones it recorded, except those changed since; journeys it started stay.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from journeys.onboarding.models import Achievement, AchievementChange, Journey, Milestone, Playbook, Source, ValueRecord
from journeys.onboarding.services.backfill import achievement_import
from journeys.onboarding.services.evaluation import journey_evaluate
from journeys.onboarding.services.history import achievement_history_entry
from journeys.onboarding.services.journeys import value_record_delete
from portal import imports
from portal.imports import ACCOUNT_ALIASES, ACCOUNT_FIELDS, ACCOUNT_KEYS, NO_ACCOUNT_KEY, Late, ParsedFile, Plan
from portal.models import Account, AccountImport, ImportChange, User

VALUE_RECORDS = AccountImport.Kind.VALUE_RECORDS.value
ACHIEVEMENTS = AccountImport.Kind.ACHIEVEMENTS.value
ROLLED_BACK = gettext_lazy("The import that recorded it was rolled back.")

VALUE_FIELDS: dict[str, Any] = {
    **ACCOUNT_FIELDS,
    "amount": gettext_lazy("Amount (yen)"),
    "occurred_on": gettext_lazy("Date"),
    "note": gettext_lazy("Note"),
}
VALUE_ALIASES = imports.aliases_of(
    {
        **ACCOUNT_ALIASES,
        "amount": ("金額", "効果額", "価値", "削減額", "売上", "amount", "value", "value amount", "amount yen"),
        "occurred_on": ("日付", "発生日", "計上日", "実現日", "date", "occurred on", "value date", "invoice date"),
        "note": ("メモ", "備考", "内容", "説明", "note", "notes", "memo", "description"),
    }
)
ACHIEVEMENT_FIELDS: dict[str, Any] = {
    **ACCOUNT_FIELDS,
    "milestone": gettext_lazy("Milestone key"),
    "achieved_at": gettext_lazy("Reached on"),
    "playbook": gettext_lazy("Playbook key"),
}
ACHIEVEMENT_ALIASES = imports.aliases_of(
    {
        **ACCOUNT_ALIASES,
        "milestone": ("マイルストーン", "マイルストーンキー", "達成項目", "milestone", "milestone key"),
        "achieved_at": (
            "達成日",
            "達成日時",
            "到達日",
            "到達日時",
            "achieved at",
            "achieved on",
            "reached at",
            "reached on",
            "date",
        ),
        "playbook": ("プレイブック", "プレイブックキー", "playbook", "playbook key"),
    }
)
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def _importer(account_import: AccountImport) -> User:
    by = account_import.created_by
    if by is None or not by.is_active or not by.is_admin:
        raise ValidationError(_("The person who uploaded this file can no longer import it."))
    return by


# --- Value records ------------------------------------------------------------------


def _read_value(name: str, raw: str) -> Any:
    key = imports.account_key_value(name, raw)
    if key is not None:
        return key
    if name == "amount":
        return imports.parse_amount(raw, minimum=1)
    if name == "occurred_on":
        day = imports.parse_date(raw)
        if day > timezone.localdate():
            raise ValueError(_("The date cannot be in the future."))
        return day
    if len(raw) > 500:
        raise ValueError(_("The note is longer than 500 characters."))
    return raw


def _value_plan(
    *,
    parsed: ParsedFile,
    mapping: Sequence[str],
    rules: dict[str, str],
    options: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> Plan:
    finder = imports.account_finder()
    # How many records each account has of each (date, amount, note): a row matching one is there.
    held = Counter(ValueRecord.objects.values_list("account_id", "occurred_on", "amount", "note").iterator(2000))
    found: Counter[tuple[int, date, Decimal, str]] = Counter()

    def plan_row(line: int, index: int, values: dict[str, Any], result: Plan) -> tuple[str, str] | None:
        account_id = finder.find(values)
        if account_id is None:
            return imports.no_account(values)
        if "amount" not in values:
            return "amount", _("The row has no amount.")
        if "occurred_on" not in values:
            return "occurred_on", _("The row has no date.")
        record = (account_id, values["occurred_on"], values["amount"], values.get("note", ""))
        found[record] += 1
        if found[record] <= held[record]:
            result.counts.unchanged += 1
            return None
        result.counts.new += 1
        result.creates.append((index, record))
        return None

    return imports.plan_rows(
        parsed=parsed, mapping=mapping, fields=VALUE_FIELDS, read=_read_value, plan_row=plan_row, progress=progress
    )


def _value_write(
    account_import: AccountImport, creates: list[tuple[int, Any]], updates: list[tuple[int, Any, Any]]
) -> list[Late]:
    by = _importer(account_import)
    if not creates:
        return []
    accounts = set(
        Account.objects.filter(pk__in={record[0] for _index, record in creates}).values_list("pk", flat=True)
    )
    late = [
        Late(index, "new", "account_name", _("The account has been deleted."))
        for index, r in creates
        if r[0] not in accounts
    ]
    rows = [
        ValueRecord(account_id=account_id, occurred_on=day, amount=amount, note=note, recorded_by=by)
        for _index, (account_id, day, amount, note) in creates
        if account_id in accounts
    ]
    made = ValueRecord.objects.bulk_create(rows, batch_size=1000)
    ImportChange.objects.bulk_create(
        [
            ImportChange(
                account_import=account_import, account_id=record.account_id, object_id=record.pk, created=True,
                after={"amount": str(record.amount), "occurred_on": str(record.occurred_on), "note": record.note},
            )
            for record in made
        ],
        batch_size=1000,
    )  # fmt: skip
    # The ROI milestones follow, once per account of the batch.
    for journey in Journey.objects.filter(account_id__in={r.account_id for r in made}).select_related(
        "account", "playbook"
    ):
        journey_evaluate(journey=journey, include_events=False)
    return late


def _value_roll_back(
    account_import: AccountImport, changes: list[ImportChange], result: imports.RollbackResult
) -> None:
    by = account_import.created_by
    records = ValueRecord.objects.select_related("account").in_bulk(
        [change.object_id for change in changes if change.object_id is not None]
    )
    changed_since = set(
        ValueRecord.with_deleted.filter(pk__in=records, history__isnull=False).values_list("pk", flat=True)
    )
    for change in changes:
        record = records.get(change.object_id or 0)
        if record is None or record.pk in changed_since or by is None or not by.is_active:
            result.kept += 1  # deleted or corrected since: left as it is
            continue
        value_record_delete(record=record, reason=str(ROLLED_BACK), by=by)
        result.deleted += 1


# --- Past milestones --------------------------------------------------------------


def parse_reached(raw: str) -> datetime:
    """A time a milestone was reached: a date (its start, in the site's time zone), a date and time
    in the site's time zone, or ISO 8601 with its offset."""
    value = unicodedata.normalize("NFKC", raw).strip()
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        for pattern in _TIME_FORMATS:
            try:
                moment = datetime.strptime(value, pattern)  # noqa: DTZ007 (in the site's time zone, below)
                break
            except ValueError:
                continue
    if moment is None:
        day = imports.parse_date(value)
        moment = datetime.combine(day, time.min)
    if moment.tzinfo is None:
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment.astimezone(UTC)


def _read_achievement(name: str, raw: str) -> Any:
    key = imports.account_key_value(name, raw)
    if key is not None:
        return key
    if name == "achieved_at":
        moment = parse_reached(raw)
        if moment > timezone.now():
            raise ValueError(_("The time cannot be in the future."))
        return moment
    if len(raw) > 80:
        raise ValueError(_("A key is at most 80 characters."))
    return raw


def _achievement_plan(
    *,
    parsed: ParsedFile,
    mapping: Sequence[str],
    rules: dict[str, str],
    options: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> Plan:
    finder = imports.account_finder()
    keys_of: dict[int, set[str]] = {}  # playbook version -> its milestone keys
    for playbook_id, key in Milestone.objects.values_list("playbook_id", "key"):
        keys_of.setdefault(playbook_id, set()).add(key)
    published: dict[str, int] = {}  # playbook key -> its newest published version
    for pk, key in (
        Playbook.objects.filter(status=Playbook.Status.PUBLISHED)
        .order_by("published_at", "id")
        .values_list("pk", "key")
    ):
        published[key] = pk
    by_segment: dict[int, int] = {}  # segment -> its default playbook (the newest published)
    for pk, segment_id in (
        Playbook.objects.filter(status=Playbook.Status.PUBLISHED, segments__isnull=False)
        .order_by("published_at", "id")
        .values_list("pk", "segments")
    ):
        by_segment[segment_id] = pk
    journeys: dict[int, list[tuple[str, int, datetime]]] = {}  # account -> (playbook key, version, start)
    for account_id, key, playbook_id, started_at in Journey.objects.values_list(
        "account_id", "playbook_key", "playbook_id", "started_at"
    ).iterator(5000):
        journeys.setdefault(account_id, []).append((key, playbook_id, started_at))
    reached = set(
        Achievement.objects.values_list("account_id", "journey__playbook_key", "milestone_key").iterator(5000)
    )
    accounts: dict[int, tuple[int | None, datetime]] = {
        pk: (segment_id, start)
        for pk, segment_id, start in Account.objects.values_list("pk", "segment_id", "contract_start").iterator(5000)
    }
    seen: dict[tuple[int, str, str], int] = {}

    def journey_of(account_id: int, values: dict[str, Any]) -> tuple[str, int, datetime] | tuple[str, str]:
        """(playbook key, version, start) of the journey the milestone belongs to, or the error."""
        milestone, playbook_key = values["milestone"], values.get("playbook", "")
        own = journeys.get(account_id, [])
        segment_id, contract_start = accounts[account_id]
        if playbook_key:
            for key, version, start in own:
                if key == playbook_key:
                    return key, version, start
            if playbook_key not in published:
                return "playbook", _("No published playbook has this key.")
            return playbook_key, published[playbook_key], contract_start
        for key, version, start in own:
            if milestone in keys_of.get(version, ()):
                return key, version, start
        default = by_segment.get(segment_id) if segment_id is not None else None
        if default is None or milestone not in keys_of.get(default, ()):
            return "milestone", _("None of this account's playbooks has this milestone.")
        key = next(k for k, v in published.items() if v == default)
        return key, default, contract_start

    def plan_row(line: int, index: int, values: dict[str, Any], result: Plan) -> tuple[str, str] | None:
        account_id = finder.find(values)
        if account_id is None:
            return imports.no_account(values)
        if "milestone" not in values:
            return "milestone", _("The row has no milestone key.")
        if "achieved_at" not in values:
            return "achieved_at", _("The row has no time it was reached.")
        found = journey_of(account_id, values)
        if len(found) == 2:
            return found[0], found[1]
        playbook_key, version, start = found
        milestone = values["milestone"]
        if milestone not in keys_of.get(version, ()):
            return "milestone", _("This playbook has no milestone with this key.")
        key = (account_id, playbook_key, milestone)
        if key in seen:
            return "milestone", _("The same milestone is on line %(line)s already.") % {"line": seen[key]}
        seen[key] = line
        if key in reached:
            result.counts.unchanged += 1
            return None
        if values["achieved_at"] < start:
            return "achieved_at", _("The time cannot be before the journey started.")
        result.counts.new += 1
        result.creates.append((index, (account_id, playbook_key, milestone, values["achieved_at"])))
        return None

    return imports.plan_rows(
        parsed=parsed, mapping=mapping, fields=ACHIEVEMENT_FIELDS, read=_read_achievement, plan_row=plan_row,
        progress=progress,
    )  # fmt: skip


def _achievement_write(
    account_import: AccountImport, creates: list[tuple[int, Any]], updates: list[tuple[int, Any, Any]]
) -> list[Late]:
    by = _importer(account_import)
    accounts = Account.objects.in_bulk({row[0] for _index, row in creates})
    late: list[Late] = []
    changes: list[ImportChange] = []
    for index, (account_id, playbook_key, milestone, achieved_at) in creates:
        account = accounts.get(account_id)
        if account is None:
            late.append(Late(index, "new", "account_name", _("The account has been deleted.")))
            continue
        try:
            with transaction.atomic():
                imported = achievement_import(
                    account=account, milestone_key=milestone, achieved_at=achieved_at, by=by, playbook_key=playbook_key
                )
        except ValidationError as error:
            field = next(iter(error.message_dict), "milestone") if hasattr(error, "error_dict") else "milestone"
            late.append(
                Late(
                    index,
                    "new",
                    {"achieved_at": "achieved_at", "playbook": "playbook"}.get(field, "milestone"),
                    " ".join(error.messages),
                )
            )
            continue
        if not imported.created:
            late.append(Late(index, "new"))  # recorded meanwhile
            continue
        changes.append(
            ImportChange(
                account_import=account_import, account_id=account_id, object_id=imported.achievement.pk,
                created=True, after={"achieved_at": imported.achievement.achieved_at.astimezone(UTC).isoformat()},
            )
        )  # fmt: skip
    ImportChange.objects.bulk_create(changes, batch_size=1000)
    return late


def _achievement_roll_back(
    account_import: AccountImport, changes: list[ImportChange], result: imports.RollbackResult
) -> None:
    by = account_import.created_by
    now = timezone.now()
    for change in changes:
        with transaction.atomic():
            achievement = (
                Achievement.objects.select_for_update().filter(pk=change.object_id or 0, source=Source.IMPORT).first()
            )
            if achievement is None or achievement.achieved_at.astimezone(UTC).isoformat() != change.after.get(
                "achieved_at"
            ):
                result.kept += 1  # revoked or re-timed since: left as it is
                continue
            achievement.revoked_at = now
            achievement.save(update_fields=["revoked_at"])
            achievement_history_entry(
                achievement=achievement, kind=AchievementChange.Kind.REVOKED, from_at=achievement.achieved_at,
                to_at=None, source=Source.IMPORT, by=by, reason=str(ROLLED_BACK),
            ).save()  # fmt: skip
            result.deleted += 1


imports.register(
    imports.ImportKind(
        name=VALUE_RECORDS,
        fields=VALUE_FIELDS,
        aliases=VALUE_ALIASES,
        required=(
            (ACCOUNT_KEYS, NO_ACCOUNT_KEY),
            (("amount",), gettext_lazy("Map a column to the amount.")),
            (("occurred_on",), gettext_lazy("Map a column to the date.")),
        ),
        rule_fields=(),
        plan=_value_plan,
        write=_value_write,
        roll_back=_value_roll_back,
        intro=gettext_lazy(
            "Business value your customers got, from your billing system or a sheet: each row names its "
            "account (external ID, domain or name), an amount in yen and a date. ROI milestones follow. A "
            "record the account has already (same date, amount and note) is not recorded twice."
        ),
    )
)
imports.register(
    imports.ImportKind(
        name=ACHIEVEMENTS,
        fields=ACHIEVEMENT_FIELDS,
        aliases=ACHIEVEMENT_ALIASES,
        required=(
            (ACCOUNT_KEYS, NO_ACCOUNT_KEY),
            (("milestone",), gettext_lazy("Map a column to the milestone key.")),
            (("achieved_at",), gettext_lazy("Map a column to the time it was reached.")),
        ),
        rule_fields=(),
        plan=_achievement_plan,
        write=_achievement_write,
        roll_back=_achievement_roll_back,
        intro=gettext_lazy(
            "Milestones your customers reached before you used Kachi, so their time to value counts from the "
            "first day: each row names its account, the milestone key, when it was reached and, if the "
            "account has several playbooks, the playbook key. No notice or e-mail is sent for them."
        ),
    )
)
