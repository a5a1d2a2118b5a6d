"""Accounts, contacts, value records and past milestones from a CSV file: a CRM export (Salesforce,
HubSpot) or a sheet saved by Japanese Excel.

What a file holds is its kind (``KINDS``): accounts are here; contacts in ``portal.contact_imports``,
value records and past milestones in ``journeys.onboarding.imports``, each registered with
``register``. Reading the file, mapping its columns, the dry run, the run in batches, the error file
and the rollback are the same for every kind; a kind says which fields it has, how it plans a row,
writes a batch and undoes what it wrote. The rest of this text is about accounts; the other kinds
find the account of each row the same way (external ID, else domain, else name) and never create one.

The file is read whole (``read_file``): its encoding is found (UTF-8 with or without its BOM, UTF-16
as Excel's "Unicode text", CP932 as Japanese Excel saves CSV, anything else charset-normalizer
recognises), then its delimiter (comma, tab or semicolon). Its columns are mapped to account fields
from their headers, in Japanese or English (``guess_mapping``); the person importing corrects the
mapping and says, per field, whether the file overwrites what is there, fills it only when empty, or
never touches it.

``plan`` then goes through every row without writing anything: each row finds its account by
external ID, else domain, else name (whatever the case), and is new, an update, unchanged or an
error. The dry run shows those counts and the rows in error as a CSV file to correct and upload
again. ``run_import`` (in the worker) plans again and writes in batches, recording the previous
values of each account it changes and the ids of those it creates (``ImportChange``), so that for
``ROLLBACK_DAYS`` the import can be undone, except for accounts changed since.

Creating an account starts nothing: no journey, no e-mail (a journey is started from the account's
page). Cells are text: one that looks like a formula (``=cmd|...``) is kept as it is.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import charset_normalizer
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.deletion import Collector
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import outbox
from portal.exports import BOM, FORMULA_STARTS, cell
from portal.models import Account, AccountImport, ImportChange, Segment, User

IMPORT_CHECK = "portal.tasks.account_import_check"
IMPORT_RUN = "portal.tasks.account_import_run"
IMPORT_ROLLBACK = "portal.tasks.account_import_rollback"
PROGRESS_EVERY = 5000  # rows between two records of a dry run's progress
MAX_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 200
PREVIEW_ROWS = 5
BATCH = 1000
ROLLBACK_DAYS = 7
SNIFF_BYTES = 64 * 1024

FIELDS: dict[str, Any] = {
    "name": gettext_lazy("Name"),
    "external_id": gettext_lazy("External ID"),
    "domain": gettext_lazy("Domain"),
    "segment": gettext_lazy("Segment"),
    "plan": gettext_lazy("Plan"),
    "contract_start": gettext_lazy("Contract start"),
    "investment_amount": gettext_lazy("Investment"),
    "csm": gettext_lazy("CS manager (e-mail)"),
}
KEYS = ("external_id", "domain", "name")

ALWAYS, IF_EMPTY, NEVER = "always", "if_empty", "never"
RULES: dict[str, Any] = {
    ALWAYS: gettext_lazy("Always overwrite"),
    IF_EMPTY: gettext_lazy("Only if empty"),
    NEVER: gettext_lazy("Never change"),
}


@dataclass(frozen=True)
class ImportKind:
    """What a file of one kind holds, and how each of its rows is planned, written and undone."""

    name: str
    fields: dict[str, Any]  # field -> its label
    aliases: dict[str, str]  # a header as ``_key`` folds it -> field
    required: tuple[tuple[tuple[str, ...], Any], ...]  # (fields of which one must be mapped, message)
    rule_fields: tuple[str, ...]  # fields that a row existing already takes by its rule
    plan: Callable[..., Plan]  # (parsed=, mapping=, rules=, options=, progress=) -> Plan
    # One batch: (the import, [(row index, planned row)], [(row index, id, changes)]) -> rows that
    # turned out otherwise than planned (found changed since the dry run).
    write: Callable[[AccountImport, list[tuple[int, Any]], list[tuple[int, Any, Any]]], list[Late]]
    roll_back: Callable[[AccountImport, list[ImportChange], RollbackResult], None]
    intro: Any = ""  # what the upload page says of this kind


KINDS: dict[str, ImportKind] = {}
ACCOUNTS = AccountImport.Kind.ACCOUNTS.value


def register(kind: ImportKind) -> ImportKind:
    KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> ImportKind:
    """The kind called ``name``; accounts for a name not known (an import recorded before kinds)."""
    return KINDS.get(name) or KINDS[ACCOUNTS]


def _key(header: str) -> str:
    """A header as compared with the known ones: full-width folded, lower case, no spaces or marks."""
    return re.sub(r"[\s_\-./():・]+", "", unicodedata.normalize("NFKC", header)).lower()


_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "取引先名",
        "会社名",
        "企業名",
        "顧客名",
        "アカウント名",
        "account name",
        "company name",
        "company",
        "name",
    ),
    "external_id": (
        "取引先id",
        "顧客id",
        "外部id",
        "アカウントid",
        "account id",
        "external id",
        "record id",
        "company id",
        "crm id",
        "id",
    ),
    "domain": (
        "ドメイン",
        "ウェブサイト",
        "webサイト",
        "ホームページ",
        "website",
        "domain",
        "company domain name",
        "url",
    ),
    "segment": ("セグメント", "segment", "顧客区分"),
    "plan": ("プラン", "契約プラン", "plan"),
    "contract_start": ("契約開始日", "契約開始", "contract start", "contract start date", "start date", "close date"),
    "investment_amount": ("投資額", "金額", "契約金額", "amount", "investment", "annual revenue", "arr"),
    "csm": (
        "担当csm",
        "担当者メール",
        "担当者メールアドレス",
        "csm",
        "owner email",
        "account owner email",
        "csm email",
    ),
}
ALIASES: dict[str, str] = {_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


def aliases_of(names: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Header keys (``_key``) to fields, from the headers each field is known by."""
    return {_key(alias): name for name, aliases in names.items() for alias in aliases}


class ImportFileError(ValidationError):
    """The file cannot be read as a CSV file of rows."""


@dataclass
class ParsedFile:
    encoding: str
    delimiter: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged, "errors": self.errors}


@dataclass
class RowError:
    line: int  # the row's number in the file (the header is 1)
    cells: list[str]
    column: str
    message: str


@dataclass
class Plan:
    """What importing the file would do, row by row, in the file's order."""

    counts: Counts = field(default_factory=Counts)
    # (index of the row, what to create) and (index, the id of what changes, its changes). For
    # accounts: the new account's fields, and (index, account id, {field: (before, after)}).
    creates: list[tuple[int, Any]] = field(default_factory=list)
    updates: list[tuple[int, Any, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    header_of: dict[str, str] = field(default_factory=dict)  # field -> the header of its column


@dataclass(frozen=True)
class Late:
    """A row the run found otherwise than the dry run planned it: an error now (``message``), or
    nothing to do (``message`` empty: done meanwhile)."""

    index: int
    planned: str  # "new" or "updated"
    field: str = ""
    message: str = ""


# --- Reading the file -------------------------------------------------------


def _has_japanese(text: str) -> bool:
    return re.search(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]", text) is not None


def decode(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and the name of its encoding. Raises ImportFileError for a file that is
    empty or not text."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."), code="empty")
    if data.startswith(codecs.BOM_UTF8):
        return _decoded(data, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decoded(data, "utf-16")
    if b"\x00" in data[:SNIFF_BYTES]:
        raise ImportFileError(_("This is not a CSV file (it holds binary data)."), code="binary")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        text = ""
    if _has_japanese(text):
        return text, "cp932"
    best = charset_normalizer.from_bytes(data[: 4 * SNIFF_BYTES]).best()
    if best is None:
        raise ImportFileError(_("The file's encoding was not recognised; save it as CSV (UTF-8)."), code="encoding")
    return _decoded(data, best.encoding)


def _decoded(data: bytes, encoding: str) -> tuple[str, str]:
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise ImportFileError(
            _("The file's encoding was not recognised; save it as CSV (UTF-8)."), code="encoding"
        ) from error
    if "\x00" in text:
        raise ImportFileError(_("This is not a CSV file (it holds binary data)."), code="binary")
    return text, encoding


def sniff_delimiter(text: str) -> str:
    sample = text[:SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","


def read_file(data: bytes) -> ParsedFile:
    """The file's header and rows. Raises ImportFileError when it is not a CSV file of rows."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 50 MB; split it into smaller files."), code="too_large")
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    try:
        lines = [
            row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(c.strip() for c in row)
        ]
    except csv.Error as error:
        raise ImportFileError(_("The file is not valid CSV: %(error)s") % {"error": error}, code="csv") from error
    if not lines:
        raise ImportFileError(_("The file is empty."), code="empty")
    headers = [header.strip() for header in lines[0]]
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(_("The file has more than %(count)s columns.") % {"count": MAX_COLUMNS}, code="columns")
    if len(lines) == 1:
        raise ImportFileError(_("The file has a header but no rows."), code="no_rows")
    return ParsedFile(encoding=encoding, delimiter=delimiter, headers=headers, rows=lines[1:])


def guess_mapping(headers: Sequence[str], kind: str = ACCOUNTS) -> list[str]:
    """The field of each column, from its header ("" for a column not imported). A field goes to its
    first column only (a file may repeat a header)."""
    aliases = kind_of(kind).aliases
    taken: set[str] = set()
    mapping: list[str] = []
    for header in headers:
        name = aliases.get(_key(header), "")
        if name in taken:
            name = ""
        taken.add(name)
        mapping.append(name)
    return mapping


def check_mapping(mapping: Sequence[str], kind: str = ACCOUNTS) -> None:
    """Raises ValidationError for a mapping that leaves out what the kind needs (for accounts: what
    finds them), or maps a field twice."""
    fields = kind_of(kind).fields
    chosen = [name for name in mapping if name]
    unknown = [name for name in chosen if name not in fields]
    if unknown:
        raise ValidationError(_("Unknown field: %(field)s") % {"field": unknown[0]}, code="unknown")
    twice = sorted({name for name in chosen if chosen.count(name) > 1})
    if twice:
        raise ValidationError(
            _("More than one column is mapped to %(field)s.") % {"field": ", ".join(str(fields[n]) for n in twice)},
            code="twice",
        )
    for names, message in kind_of(kind).required:
        if not any(name in chosen for name in names):
            raise ValidationError(str(message), code="no_key" if names[0] in KEYS + ACCOUNT_KEYS else "required")


def import_create(
    *, file_name: str, data: bytes, by: User, kind: str = ACCOUNTS, options: dict[str, Any] | None = None
) -> AccountImport:
    """Record an uploaded file of ``kind`` with the mapping guessed from its header (or the one last
    used for the same header and kind). Raises ImportFileError for a file that cannot be imported."""
    import_kind = kind_of(kind)
    parsed = read_file(data)
    previous = (
        AccountImport.objects.filter(kind=import_kind.name, headers=parsed.headers)
        .order_by("-created_at")
        .only("mapping", "rules")
        .first()
    )
    mapping = previous.mapping if previous is not None else guess_mapping(parsed.headers, import_kind.name)
    rules = previous.rules if previous is not None else dict.fromkeys(import_kind.rule_fields, ALWAYS)
    return AccountImport.objects.create(
        kind=import_kind.name, file_name=file_name.replace("\x00", "")[:255], data=data, encoding=parsed.encoding,
        delimiter=parsed.delimiter, headers=parsed.headers, mapping=mapping, rules=rules, options=options or {},
        total_rows=len(parsed.rows), created_by=by,
    )  # fmt: skip


def import_file(account_import: AccountImport) -> ParsedFile:
    return read_file(bytes(account_import.data))


def import_preview(account_import: AccountImport) -> list[list[str]]:
    """The first rows of the file, each as wide as the header (short rows padded, long ones cut)."""
    width = len(account_import.headers)
    return [(row + [""] * width)[:width] for row in import_file(account_import).rows[:PREVIEW_ROWS]]


def import_set_mapping(*, account_import: AccountImport, mapping: Sequence[str], rules: dict[str, str]) -> None:
    check_mapping(mapping, account_import.kind)
    account_import.mapping = list(mapping)
    account_import.rules = {name: rules.get(name, ALWAYS) for name in kind_of(account_import.kind).rule_fields}
    account_import.save(update_fields=["mapping", "rules"])


# --- Reading cells ------------------------------------------------------------


_DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d", "%Y.%m.%d", "%Y年%m月%d日", "%m/%d/%Y", "%Y%m%d")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$")


def text_of(value: str) -> str:
    """A cell as text: trimmed; the apostrophe that exports put before a formula-looking cell dropped."""
    value = value.strip()
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def parse_date(value: str) -> date:
    value = unicodedata.normalize("NFKC", value).strip()
    value = value.split(" ")[0].split("T")[0]  # "2026/04/01 0:00" as Excel writes a date with a time
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()  # noqa: DTZ007 (a calendar date, no time)
        except ValueError:
            continue
    raise ValueError(
        _("Not a date: “%(value)s” (write it as 2026/04/01, 2026-04-01 or 2026年4月1日).") % {"value": value}
    )


def parse_amount(value: str, *, minimum: int = 0) -> Decimal:
    """A whole number of yen of at least ``minimum`` (an investment: 0; a value record: 1), as
    spreadsheets write it (``¥1,200,000``, ``500000円``, full-width digits)."""
    cleaned = re.sub(r"[\s,¥￥円]", "", unicodedata.normalize("NFKC", value))
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("Not an amount: “%(value)s”.") % {"value": value}) from None
    if amount.is_finite() and minimum <= amount < Decimal(10) ** 14 and amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    if minimum:
        raise ValueError(_("The amount must be a whole number of yen, 1 or more: “%(value)s”.") % {"value": value})
    raise ValueError(_("The investment must be a whole number of yen, 0 or more: “%(value)s”.") % {"value": value})


def normalise_domain(value: str) -> str:
    """``https://www.Example.co.jp/about`` → ``example.co.jp``. Raises ValueError for no domain."""
    host = unicodedata.normalize("NFKC", value).strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    host = re.split(r"[/?#]", host, maxsplit=1)[0].rsplit("@", 1)[-1].split(":")[0].strip(".")
    host = host.removeprefix("www.")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    if not _DOMAIN.match(host):
        raise ValueError(_("Not a domain: “%(value)s”.") % {"value": value})
    return host


@dataclass
class _Lookups:
    """What rows are checked against, loaded once for the whole file."""

    by_external_id: dict[str, int]
    by_domain: dict[str, int]
    by_name: dict[str, int]
    current: dict[int, dict[str, Any]]
    slugs: set[str]
    segments: dict[str, int]
    csms: dict[str, int]
    plans: dict[str, str]


_COLUMNS = (
    "id",
    "name",
    "slug",
    "external_id",
    "domain",
    "segment_id",
    "plan",
    "contract_start",
    "investment_amount",
    "csm_id",
)


def _lookups() -> _Lookups:
    found = _Lookups({}, {}, {}, {}, set(), {}, {}, {})
    for row in Account.objects.order_by("pk").values_list(*_COLUMNS).iterator(chunk_size=5000):
        pk, name, slug, external_id, domain, segment_id, plan, contract_start, investment, csm_id = row
        found.slugs.add(slug)
        if external_id:
            found.by_external_id.setdefault(external_id, pk)
        if domain:
            found.by_domain.setdefault(domain, pk)
        found.by_name.setdefault(name.casefold(), pk)
        found.current[pk] = {
            "name": name, "external_id": external_id, "domain": domain, "segment": segment_id, "plan": plan,
            "contract_start": contract_start, "investment_amount": investment, "csm": csm_id,
        }  # fmt: skip
    for pk, name, slug in Segment.objects.values_list("pk", "name", "slug"):
        found.segments[name.casefold()] = pk
        found.segments.setdefault(slug.casefold(), pk)
    for pk, email in User.objects.filter(role=User.Role.CSM, is_active=True).values_list("pk", "email"):
        found.csms[email.casefold()] = pk
    for value, label in Account.Plan.choices:
        found.plans[value] = value
        found.plans[str(label).casefold()] = value
    return found


def _value(name: str, raw: str, lookups: _Lookups) -> Any:
    """The account value of a cell for field ``name``; raises ValueError with the reason."""
    if name == "name":
        if len(raw) > 200:
            raise ValueError(_("The name is longer than 200 characters."))
        return raw
    if name == "external_id":
        if len(raw) > 100:
            raise ValueError(_("The external ID is longer than 100 characters."))
        return raw
    if name == "domain":
        return normalise_domain(raw)
    if name == "segment":
        segment = lookups.segments.get(unicodedata.normalize("NFKC", raw).casefold())
        if segment is None:
            raise ValueError(_("No segment “%(value)s”.") % {"value": raw})
        return segment
    if name == "plan":
        plan = lookups.plans.get(unicodedata.normalize("NFKC", raw).casefold())
        if plan is None:
            raise ValueError(_("No plan “%(value)s”.") % {"value": raw})
        return plan
    if name == "contract_start":
        return parse_date(raw)
    if name == "investment_amount":
        return parse_amount(raw)
    csm = lookups.csms.get(raw.casefold())
    if csm is None:
        raise ValueError(_("No CS manager with the e-mail address “%(value)s”.") % {"value": raw})
    return csm


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _same(name: str, current: Any, new: Any) -> bool:
    if name == "contract_start":
        return current is not None and timezone.localtime(current).date() == new
    return bool(current == new)


def _is_empty(name: str, current: Any) -> bool:
    if name == "investment_amount":
        return not current
    return current in ("", None)


def plan(
    *,
    parsed: ParsedFile,
    mapping: Sequence[str],
    rules: dict[str, str],
    progress: Callable[[int], None] | None = None,
    kind: str = ACCOUNTS,
    options: dict[str, Any] | None = None,
) -> Plan:
    """What importing ``parsed`` as ``kind`` would do, row by row, writing nothing (``progress`` is
    told the rows read so far, every ``PROGRESS_EVERY``)."""
    check_mapping(mapping, kind)
    return kind_of(kind).plan(parsed=parsed, mapping=mapping, rules=rules, options=options or {}, progress=progress)


def _accounts_plan(
    *,
    parsed: ParsedFile,
    mapping: Sequence[str],
    rules: dict[str, str],
    options: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> Plan:
    lookups = _lookups()
    seen: dict[tuple[str, str], int] = {}  # (key field, value) -> line of the row that had it
    next_slug: dict[str, int] = {}
    fields = {name: name for name in FIELDS}  # the row's errors name fields; ``plan_rows`` gives headers

    def plan_row(line: int, index: int, values: dict[str, Any], result: Plan) -> tuple[str, str] | None:
        return _row_plan(line, index, values, rules, lookups, seen, next_slug, fields, result)

    return plan_rows(
        parsed=parsed, mapping=mapping, fields=FIELDS, read=lambda name, raw: _value(name, raw, lookups),
        plan_row=plan_row, progress=progress,
    )  # fmt: skip


def _row_plan(
    line: int,
    index: int,
    values: dict[str, Any],
    rules: dict[str, str],
    lookups: _Lookups,
    seen: dict[tuple[str, str], int],
    next_slug: dict[str, int],
    header_of: dict[str, str],
    result: Plan,
) -> tuple[str, str] | None:
    """Plan one row whose cells are read; the error (column, message) if it cannot be imported."""
    keys = [(name, values[name].casefold() if name == "name" else values[name]) for name in KEYS if name in values]
    if not keys:
        return "", _("The row has no name, external ID or domain.")
    # A row is the same account as an earlier one when its strongest key is the same, or when both
    # find the same account.
    strongest = keys[0]
    if strongest in seen:
        return header_of[strongest[0]], _("The same account is on line %(line)s already.") % {"line": seen[strongest]}
    account_id: int | None = None
    by = {"external_id": lookups.by_external_id, "domain": lookups.by_domain, "name": lookups.by_name}
    for name, value in keys:
        account_id = by[name].get(value)
        if account_id is not None:
            break
    if account_id is not None:
        claimed = ("account", str(account_id))
        if claimed in seen:
            return header_of[strongest[0]], _("The same account is on line %(line)s already.") % {"line": seen[claimed]}
        seen[claimed] = line
    seen[strongest] = line
    if account_id is None:
        return _plan_create(index, values, lookups, next_slug, header_of, result)
    current = lookups.current[account_id]
    if values.get("external_id") and current["external_id"] and values["external_id"] != current["external_id"]:
        return header_of["external_id"], _("The account “%(name)s” has another external ID (%(id)s).") % {
            "name": current["name"], "id": current["external_id"],
        }  # fmt: skip
    if "external_id" in values and values["external_id"] != current["external_id"]:
        holder = lookups.by_external_id.get(values["external_id"])
        if holder is not None and holder != account_id:
            return header_of["external_id"], _("Another account has this external ID.")
    changes: dict[str, tuple[Any, Any]] = {}
    for name, new in values.items():
        rule = rules.get(name, ALWAYS)
        old = current[name]
        if rule == NEVER or _same(name, old, new) or (rule == IF_EMPTY and not _is_empty(name, old)):
            continue
        changes[name] = (old, _start(new) if name == "contract_start" else new)
    if changes:
        result.counts.updated += 1
        result.updates.append((index, account_id, changes))
    else:
        result.counts.unchanged += 1
    return None


def _plan_create(
    index: int,
    values: dict[str, Any],
    lookups: _Lookups,
    next_slug: dict[str, int],
    header_of: dict[str, str],
    result: Plan,
) -> tuple[str, str] | None:
    if "name" not in values:
        return "", _("A new account needs a name.")
    if "segment" not in values:
        return header_of.get("segment", ""), _("A new account needs a segment.")
    if "contract_start" not in values:
        return header_of.get("contract_start", ""), _("A new account needs a contract start date.")
    base = (
        slugify(values["name"])
        or slugify(values.get("domain", ""))
        or slugify(values.get("external_id", ""))
        or "account"
    )[:70]
    slug = base
    while slug in lookups.slugs:
        next_slug[base] = next_slug.get(base, 1) + 1
        slug = f"{base}-{next_slug[base]}"
    lookups.slugs.add(slug)
    account = dict(
        name=values["name"], slug=slug, external_id=values.get("external_id", ""), domain=values.get("domain", ""),
        segment_id=values["segment"], plan=values.get("plan", Account.Plan.STARTER),
        contract_start=_start(values["contract_start"]), investment_amount=values.get("investment_amount", Decimal(0)),
        csm_id=values.get("csm"),
    )  # fmt: skip
    result.counts.new += 1
    result.creates.append((index, account))
    return None


# --- Rows that belong to an account (contacts, value records, milestones) ---------------

ACCOUNT_FIELDS: dict[str, Any] = {
    "account_external_id": gettext_lazy("Account external ID"),
    "account_domain": gettext_lazy("Account domain"),
    "account_name": gettext_lazy("Account name"),
}
ACCOUNT_KEYS = tuple(ACCOUNT_FIELDS)
# The headers that name an account in a file of accounts name the row's account in the others.
ACCOUNT_ALIASES: dict[str, tuple[str, ...]] = {f"account_{name}": _ALIASES[name] for name in KEYS}
NO_ACCOUNT_KEY = gettext_lazy(
    "Map a column to the account's external ID, domain or name: it is how rows find their accounts."
)


@dataclass
class AccountFinder:
    """Every account's id by external ID, domain and name (whatever the case), loaded once per file."""

    by_external_id: dict[str, int]
    by_domain: dict[str, int]
    by_name: dict[str, int]

    def find(self, values: dict[str, Any]) -> int | None:
        """The account a row names: by external ID, else domain, else name."""
        for name, found in (
            ("account_external_id", self.by_external_id),
            ("account_domain", self.by_domain),
            ("account_name", self.by_name),
        ):
            if name in values and values[name] in found:
                return found[values[name]]
        return None


def account_finder() -> AccountFinder:
    finder = AccountFinder({}, {}, {})
    rows = Account.objects.order_by("pk").values_list("pk", "name", "external_id", "domain").iterator(chunk_size=5000)
    for pk, name, external_id, domain in rows:
        if external_id:
            finder.by_external_id.setdefault(external_id, pk)
        if domain:
            finder.by_domain.setdefault(domain, pk)
        finder.by_name.setdefault(name.casefold(), pk)
    return finder


def account_key_value(name: str, raw: str) -> str | None:
    """The value of an account column (``ACCOUNT_FIELDS``) as the finder compares it; None for
    another field."""
    if name == "account_external_id":
        return raw
    if name == "account_domain":
        return normalise_domain(raw)
    if name == "account_name":
        return unicodedata.normalize("NFKC", raw).casefold()
    return None


def no_account(values: dict[str, Any]) -> tuple[str, str]:
    """The error of a row whose account is not found: on its strongest account column."""
    column = next((name for name in ACCOUNT_KEYS if name in values), "")
    if not column:
        return "", _("The row names no account (external ID, domain or name).")
    messages = {
        "account_external_id": _("No account has this external ID."),
        "account_domain": _("No account has this domain."),
        "account_name": _("No account has this name."),
    }
    return column, messages[column]


def plan_rows(
    *,
    parsed: ParsedFile,
    mapping: Sequence[str],
    fields: dict[str, Any],
    read: Callable[[str, str], Any],
    plan_row: Callable[[int, int, dict[str, Any], Plan], tuple[str, str] | None],
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """The plan of a file, row by row: each cell read by ``read(field, text)`` (a ValueError is the
    row's error, on that column), then the row planned by ``plan_row(line, index, values, plan)``,
    which adds to the plan's creates, updates and counts, or returns the error (field, message)."""
    result = Plan()
    columns = [(index, name) for index, name in enumerate(mapping) if name and index < len(parsed.headers)]
    result.header_of = {name: parsed.headers[index] or str(fields[name]) for index, name in columns}
    for index, cells in enumerate(parsed.rows):
        line = index + 2
        if progress is not None and index and index % PROGRESS_EVERY == 0:
            progress(index)
        values: dict[str, Any] = {}
        error: tuple[str, str] | None = None
        for column, name in columns:
            raw = text_of(cells[column]) if column < len(cells) else ""
            if not raw:
                continue
            try:
                values[name] = read(name, raw)
            except ValueError as problem:
                error = (name, str(problem))
                break
        if error is None:
            error = plan_row(line, index, values, result)
        if error is not None:
            name, message = error
            result.counts.errors += 1
            result.errors.append(
                RowError(line=line, cells=list(cells), column=result.header_of.get(name, name), message=message)
            )
    return result


# --- The error file --------------------------------------------------------------


def error_file(*, headers: Sequence[str], errors: Iterable[RowError]) -> str:
    """The rows in error as CSV (UTF-8 with its BOM): each row as it was, then the line it was on,
    the column at fault and what is wrong. Corrected, the file can be uploaded again as it is."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write(BOM)
    writer.writerow([cell(h) for h in headers] + [_("Line"), _("Column"), _("Error")])
    width = len(headers)
    for error in errors:
        cells = (error.cells + [""] * width)[: max(width, len(error.cells))]
        writer.writerow([cell(c) for c in cells] + [error.line, cell(error.column), cell(error.message)])
    return out.getvalue()


# --- Dry run, run, rollback -----------------------------------------------------


def import_request_check(*, account_import: AccountImport, mapping: Sequence[str], rules: dict[str, str]) -> None:
    """Save the mapping and rules and queue the dry run (in the worker: a large file takes longer than
    a request may). Raises ValidationError for a mapping that cannot be used."""
    import_set_mapping(account_import=account_import, mapping=mapping, rules=rules)
    with transaction.atomic():
        AccountImport.objects.filter(pk=account_import.pk).update(
            status=AccountImport.Status.CHECKING, rows_done=0, checked={}, failure=""
        )
        outbox.enqueue(IMPORT_CHECK, [account_import.pk])


def run_check(*, import_id: int) -> AccountImport | None:
    """The worker's dry run of an import waiting for it; None when there is none (a second delivery)."""
    account_import = (
        AccountImport.objects.select_related("created_by")
        .filter(pk=import_id, status=AccountImport.Status.CHECKING)
        .first()
    )
    if account_import is None:
        return None
    with translation.override(account_import.created_by.language if account_import.created_by else None):
        try:
            import_check(account_import=account_import)
        except Exception as error:
            AccountImport.objects.filter(pk=import_id).update(
                status=AccountImport.Status.UPLOADED, failure=f"{type(error).__name__}: {error}"[:2000]
            )
            raise
    return account_import


def import_check(*, account_import: AccountImport) -> Plan:
    """The dry run: the counts and the rows in error, recorded on the import; nothing else is written."""
    parsed = import_file(account_import)

    def advance(rows: int) -> None:
        AccountImport.objects.filter(pk=account_import.pk).update(rows_done=rows)

    result = plan(
        parsed=parsed, mapping=account_import.mapping, rules=account_import.rules, progress=advance,
        kind=account_import.kind, options=account_import.options,
    )  # fmt: skip
    account_import.checked = result.counts.as_dict()
    account_import.errors_csv = error_file(headers=parsed.headers, errors=result.errors) if result.errors else ""
    account_import.status = AccountImport.Status.CHECKED
    account_import.total_rows = len(parsed.rows)
    account_import.save(update_fields=["checked", "errors_csv", "status", "total_rows"])
    return result


def import_start(*, account_import: AccountImport) -> bool:
    """Queue the run of a checked import; False when it is not waiting to run."""
    with transaction.atomic():
        started = AccountImport.objects.filter(pk=account_import.pk, status=AccountImport.Status.CHECKED).update(
            status=AccountImport.Status.QUEUED, rows_done=0
        )
        if started:
            outbox.enqueue(IMPORT_RUN, [account_import.pk])
    return bool(started)


def _json(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _field(name: str) -> str:
    return {"segment": "segment_id", "csm": "csm_id"}.get(name, name)


def run_import(*, import_id: int) -> AccountImport | None:
    """Write what the plan says, a batch at a time, recording each change; the import's progress
    advances with every batch. Runs once however often it is delivered."""
    claimed = AccountImport.objects.filter(pk=import_id, status=AccountImport.Status.QUEUED).update(
        status=AccountImport.Status.RUNNING
    )
    if not claimed:
        return None
    account_import = AccountImport.objects.select_related("created_by").get(pk=import_id)
    # The error file is written in the language of the person who imports.
    with translation.override(account_import.created_by.language if account_import.created_by else None):
        return _run(account_import)


def _run(account_import: AccountImport) -> AccountImport:
    import_id = account_import.pk
    try:
        parsed = import_file(account_import)
        result = plan(
            parsed=parsed, mapping=account_import.mapping, rules=account_import.rules, kind=account_import.kind,
            options=account_import.options,
        )  # fmt: skip
        _apply(account_import, result, parsed=parsed)
    except Exception as error:
        AccountImport.objects.filter(pk=import_id).update(
            status=AccountImport.Status.FAILED,
            failure=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    account_import.result = result.counts.as_dict()
    account_import.errors_csv = error_file(headers=parsed.headers, errors=result.errors) if result.errors else ""
    account_import.status = AccountImport.Status.DONE
    account_import.rows_done = account_import.total_rows = len(parsed.rows)
    account_import.finished_at = timezone.now()
    account_import.save(update_fields=["result", "errors_csv", "status", "rows_done", "total_rows", "finished_at"])
    return account_import


def _apply(account_import: AccountImport, result: Plan, *, parsed: ParsedFile) -> None:
    write = kind_of(account_import.kind).write
    total = len(parsed.rows)
    creates, updates = result.creates, result.updates
    late: list[Late] = []
    c = u = 0
    for end in range(BATCH, total + BATCH, BATCH):
        batch_creates: list[tuple[int, Any]] = []
        while c < len(creates) and creates[c][0] < end:
            batch_creates.append(creates[c])
            c += 1
        batch_updates: list[tuple[int, Any, Any]] = []
        while u < len(updates) and updates[u][0] < end:
            batch_updates.append(updates[u])
            u += 1
        with transaction.atomic():
            late += write(account_import, batch_creates, batch_updates)
            AccountImport.objects.filter(pk=account_import.pk).update(rows_done=min(end, total))
    _count_late(result, late, parsed=parsed)


def _count_late(result: Plan, late: list[Late], *, parsed: ParsedFile) -> None:
    """The counts and errors of the run as it went, where rows turned out otherwise than planned."""
    for row in late:
        if row.planned == "new":
            result.counts.new -= 1
        else:
            result.counts.updated -= 1
        if not row.message:
            result.counts.unchanged += 1
            continue
        result.counts.errors += 1
        result.errors.append(
            RowError(
                line=row.index + 2, cells=list(parsed.rows[row.index]),
                column=result.header_of.get(row.field, row.field), message=row.message,
            )
        )  # fmt: skip
    result.errors.sort(key=lambda error: error.line)


def _write(
    account_import: AccountImport,
    batch_creates: list[tuple[int, Any]],
    batch_updates: list[tuple[int, Any, Any]],
) -> list[Late]:
    creates: list[dict[str, Any]] = [values for _index, values in batch_creates]
    updates: list[tuple[int, dict[str, tuple[Any, Any]]]] = [(pk, changes) for _index, pk, changes in batch_updates]
    changes: list[ImportChange] = []
    if creates:
        for account in Account.objects.bulk_create([Account(**values) for values in creates], batch_size=500):
            changes.append(ImportChange(account_import=account_import, account_id=account.pk, created=True))
    if updates:
        accounts = Account.objects.in_bulk([pk for pk, _changes in updates])
        fields: set[str] = set()
        changed: list[Account] = []
        for pk, field_changes in updates:
            found = accounts.get(pk)
            if found is None:  # deleted since the plan was made
                continue
            account = found
            for name, (_old, new) in field_changes.items():
                setattr(account, _field(name), new)
                fields.add(_field(name))
            changed.append(account)
            changes.append(
                ImportChange(
                    account_import=account_import, account_id=pk,
                    before={name: _json(name, old) for name, (old, _new) in field_changes.items()},
                    after={name: _json(name, new) for name, (_old, new) in field_changes.items()},
                )
            )  # fmt: skip
        if changed:
            Account.objects.bulk_update(changed, sorted(fields), batch_size=500)
    ImportChange.objects.bulk_create(changes, batch_size=1000)
    return []


@dataclass
class RollbackResult:
    restored: int = 0
    deleted: int = 0
    kept: int = 0  # changed since the import (or in use): left as they are


def can_roll_back(account_import: AccountImport, *, now: datetime | None = None) -> bool:
    return (
        account_import.status in (AccountImport.Status.DONE, AccountImport.Status.FAILED)
        and account_import.finished_at is not None
        and (now or timezone.now()) - account_import.finished_at <= timedelta(days=ROLLBACK_DAYS)
    )


def _current_json(account: Account, name: str) -> Any:
    return _json(name, getattr(account, _field(name)))


def _would_take_others(accounts: Sequence[Account]) -> bool:
    """Whether deleting ``accounts`` would delete other rows with them (members, journeys, notes…)."""
    collector = Collector(using="default")
    collector.collect(list(accounts))
    if any(model is not Account and instances for model, instances in collector.data.items()):
        return True
    return any(getattr(qs, "model", Account) is not Account and qs.exists() for qs in collector.fast_deletes)


def _has_dependents(accounts: list[Account]) -> set[int]:
    """The ids of the accounts whose deletion would take other rows with them. Asked for the whole
    batch at once; account by account only in a batch where some would."""
    if not accounts or not _would_take_others(accounts):
        return set()
    return {account.pk for account in accounts if _would_take_others([account])}


def import_rollback(*, account_import: AccountImport, now: datetime | None = None) -> RollbackResult:
    """Undo an import: accounts it created are deleted, those it changed get their previous values
    back, except any changed since (or, for a created one, that has members, journeys or other
    records now): those are kept as they are. Raises ValidationError past the rollback window."""
    if not can_roll_back(account_import, now=now):
        raise ValidationError(_("This import can no longer be rolled back."), code="too_late")
    return _roll_back(account_import, now=now)


def import_request_rollback(*, account_import: AccountImport) -> None:
    """Queue the rollback (in the worker: undoing a large import takes longer than a request may).
    Raises ValidationError past the rollback window."""
    if not can_roll_back(account_import):
        raise ValidationError(_("This import can no longer be rolled back."), code="too_late")
    with transaction.atomic():
        AccountImport.objects.filter(pk=account_import.pk).update(status=AccountImport.Status.ROLLING_BACK)
        outbox.enqueue(IMPORT_ROLLBACK, [account_import.pk])


def run_rollback(*, import_id: int) -> RollbackResult | None:
    """The worker's rollback of an import waiting for it; None when there is none (a second delivery)."""
    account_import = (
        AccountImport.objects.select_related("created_by")
        .filter(pk=import_id, status=AccountImport.Status.ROLLING_BACK)
        .first()
    )
    if account_import is None:
        return None
    # What it writes (a reason in a history) is in the language of the person who imports.
    with translation.override(account_import.created_by.language if account_import.created_by else None):
        return _roll_back(account_import)


def _roll_back(account_import: AccountImport, *, now: datetime | None = None) -> RollbackResult:
    result = RollbackResult()
    with transaction.atomic():
        locked = AccountImport.objects.select_for_update().filter(
            pk=account_import.pk,
            status__in=[AccountImport.Status.DONE, AccountImport.Status.FAILED, AccountImport.Status.ROLLING_BACK],
        )
        if not locked.exists():
            raise ValidationError(_("This import can no longer be rolled back."), code="too_late")
        roll_back = kind_of(account_import.kind).roll_back
        changes = list(account_import.changes.order_by("pk"))
        for start in range(0, len(changes), BATCH):
            roll_back(account_import, changes[start : start + BATCH], result)
        undone = {"restored": result.restored, "deleted": result.deleted, "kept": result.kept}
        AccountImport.objects.filter(pk=account_import.pk).update(
            status=AccountImport.Status.ROLLED_BACK,
            rolled_back_at=now or timezone.now(),
            result={**account_import.result, **undone},
        )
    account_import.refresh_from_db()
    return result


def _roll_back_batch(account_import: AccountImport, changes: list[ImportChange], result: RollbackResult) -> None:
    accounts = Account.objects.in_bulk([change.account_id for change in changes if change.account_id is not None])
    created = [accounts[c.account_id] for c in changes if c.created and c.account_id in accounts]
    busy = _has_dependents(created)
    restore: list[Account] = []
    fields: set[str] = set()
    delete: list[int] = []
    for change in changes:
        account = accounts.get(change.account_id or 0)
        if account is None:
            continue
        if change.created:
            if account.pk in busy:
                result.kept += 1
            else:
                delete.append(account.pk)
            continue
        if any(_current_json(account, name) != value for name, value in change.after.items()):
            result.kept += 1
            continue
        for name, value in change.before.items():
            setattr(account, _field(name), _restored(name, value))
            fields.add(_field(name))
        restore.append(account)
    if restore:
        Account.objects.bulk_update(restore, sorted(fields), batch_size=500)
    if delete:
        Account.objects.filter(pk__in=delete).delete()
    result.restored += len(restore)
    result.deleted += len(delete)


def _restored(name: str, value: Any) -> Any:
    if name == "contract_start" and value is not None:
        return datetime.fromisoformat(value)
    if name == "investment_amount" and value is not None:
        return Decimal(value)
    return value


def imports_recent() -> QuerySet[AccountImport]:
    """Every import, newest first, without its file or error file."""
    return AccountImport.objects.defer("data", "errors_csv").select_related("created_by")


def imports_list() -> list[AccountImport]:
    """Recent imports, newest first, without their files."""
    return list(imports_recent()[:50])


def import_get(*, pk: int, with_file: bool = False) -> AccountImport | None:
    """One import (its file and error file loaded only when asked for); None when there is none."""
    found = AccountImport.objects.select_related("created_by")
    if not with_file:
        found = found.defer("data", "errors_csv")
    return found.filter(pk=pk).first()


def rollback_until(account_import: AccountImport) -> datetime | None:
    """Until when the import can be rolled back; None when it cannot (now or ever)."""
    if account_import.finished_at is None or account_import.status not in (
        AccountImport.Status.DONE,
        AccountImport.Status.FAILED,
    ):
        return None
    return account_import.finished_at + timedelta(days=ROLLBACK_DAYS)


register(
    ImportKind(
        name=ACCOUNTS,
        fields=FIELDS,
        aliases=ALIASES,
        required=(
            (
                KEYS,
                gettext_lazy(
                    "Map a column to the name, the external ID or the domain: it is how rows find their accounts."
                ),
            ),
        ),
        rule_fields=tuple(FIELDS),
        plan=_accounts_plan,
        write=_write,
        roll_back=_roll_back_batch,
        intro=gettext_lazy(
            "Accounts exported from your CRM (Salesforce, HubSpot) or a sheet: added, or updated when the "
            "file's row finds one by external ID, domain or name. Imported accounts start no journey and get "
            "no e-mail."
        ),
    )
)
