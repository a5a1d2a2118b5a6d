# ruff: noqa: RUF001 (Japanese text uses full-width brackets)
"""The Django admin reads in the admin's language, the sections of django-axes and django-celery-beat
included: their app names are ours (portal/apps.py), their strings are translated in our catalogue
(portal/third_party_messages.py), and the columns they leave unnamed get labels (portal/admin.py)."""

from __future__ import annotations

import ast
from html.parser import HTMLParser
from pathlib import Path

import axes
import django_celery_beat
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import PeriodicTasks

from portal import third_party_messages
from portal.apps import ScheduledTasksConfig, SignInLockoutConfig
from portal.models import User
from tests.conftest import World, signed_in
from tests.factories import (
    AccessAttemptFactory,
    AccessFailureLogFactory,
    AccessLogFactory,
    ClockedScheduleFactory,
    CrontabScheduleFactory,
    IntervalScheduleFactory,
    PeriodicTaskFactory,
    SolarScheduleFactory,
)

pytestmark = pytest.mark.django_db

# What the two packages show in English: section and model names, columns, filters, actions, labels.
ENGLISH = [
    "Axes",
    "Periodic Tasks",
    "Access attempts",
    "Access failures",
    "Access logs",
    "Clocked",
    "Crontabs",
    "Intervals",
    "Periodic tasks",
    "Solar events",
    "Attempt Time",
    "IP Address",
    "User Agent",
    "Username",
    "Path",
    "Failed Logins",
    "Attempt Remaining",
    "Locked Out",
    "Logout Time",
    "Access lock out",
    "Clean up expired attempts",
    "Status",
    "Scheduler",
    "Interval Schedule",
    "Start Datetime",
    "Last Run Datetime",
    "One-off Task",
    "Task Name",
    "Enable selected tasks",
    "Disable selected tasks",
    "Toggle activity of selected tasks",
    "Run selected tasks",
    "Human readable",
    "Clock Time",
    "Solar Event",
    "Latitude",
    "Longitude",
    "Number of Periods",
    "Interval Period",
    "Minute(s)",
    "Cron Timezone",
    "Periodic Tasks Using This Schedule",
    "Task (registered)",
    "Positional Arguments",
    "Execution Options",
    "every 2 days",
]

# Page → Japanese it shows (the name of the list, its columns, filters, actions and fields).
JAPANESE = {
    "/admin/": [
        "ログインのロック",
        "アクセス試行",
        "アクセス失敗",
        "アクセスログ",
        "定期実行",
        "定期タスク",
        "実行間隔",
    ],
    "/admin/axes/accessattempt/": [
        "アクセス試行",
        "試行日時",
        "IPアドレス",
        "ユーザーエージェント",
        "ユーザー名",
        "ログイン失敗回数",
        "ステータス",
        "3 回まで試行できます",
        "ロック中 で絞り込む",
        "期限切れのアクセス試行を削除",
    ],
    "/admin/axes/accesslog/": ["アクセスログ", "ログアウト日時", "パス"],
    "/admin/axes/accessfailurelog/": ["アクセス失敗", "ロックされた"],
    "/admin/django_celery_beat/periodictask/": [
        "定期タスク",
        "スケジュール",
        "実行間隔",
        "開始日時",
        "最終実行日時",
        "1回だけ実行",
        "タスク名 で絞り込む",
        "選択したタスクを有効化",
        "選択したタスクを今すぐ実行",
    ],
    "/admin/django_celery_beat/periodictask/add/": [
        "タスク（登録済み）",
        "実行オプション",
        "位置引数",
        "有効期限（日時）",
    ],
    "/admin/django_celery_beat/crontabschedule/": ["cron 式", "人が読める形式"],
    "/admin/django_celery_beat/crontabschedule/add/": ["曜日", "タイムゾーン", "このスケジュールを使う定期タスク"],
    "/admin/django_celery_beat/intervalschedule/": ["実行間隔", "2 日ごと"],
    "/admin/django_celery_beat/intervalschedule/add/": ["間隔の単位", "マイクロ秒"],
    "/admin/django_celery_beat/clockedschedule/": ["日時指定", "実行日時"],
    "/admin/django_celery_beat/solarschedule/": ["日の出・日の入り", "日の出 (35.681200, 139.767100)"],
    "/admin/django_celery_beat/solarschedule/add/": ["太陽の時刻", "南中時刻", "緯度", "経度"],
}


class VisibleText(HTMLParser):
    """The text a reader sees: everything outside tags, scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = VisibleText()
    parser.feed(response.content.decode())
    return "\n".join(parser.parts)


@pytest.fixture
def schedules_and_lockouts(world: World) -> None:
    AccessAttemptFactory(failures_since_start=2)
    AccessLogFactory()
    AccessFailureLogFactory()
    PeriodicTaskFactory(interval=IntervalScheduleFactory(every=2))
    PeriodicTaskFactory(interval=None, crontab=CrontabScheduleFactory())
    ClockedScheduleFactory()
    SolarScheduleFactory()


def every_admin_page(user: User) -> list[str]:
    """The index, and each registered model's list and, where the admin may add, its add page."""
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    return urls


def test_no_page_of_the_admin_shows_the_packages_english_to_a_japanese_admin(
    world: World, schedules_and_lockouts: None
) -> None:
    client = signed_in(world.admin, language="ja")
    for url in every_admin_page(world.admin):
        text = visible_text(client, url)
        assert [english for english in ENGLISH if english in text] == [], url


def test_the_lockout_and_schedule_pages_read_japanese(world: World, schedules_and_lockouts: None) -> None:
    client = signed_in(world.admin, language="ja")
    for url, japanese in JAPANESE.items():
        text = visible_text(client, url)
        assert [words for words in japanese if words not in text] == [], url


def test_a_recorded_attempt_reads_japanese_on_its_page(world: World) -> None:
    attempt = AccessAttemptFactory()
    client = signed_in(world.admin, language="ja")
    text = visible_text(client, reverse("admin:axes_accessattempt_change", args=[attempt.pk]))
    for words in ("フォームのデータ", "メタデータ", "GET データ", "POST データ", "HTTP Accept ヘッダー"):
        assert words in text
    for english in ("Form Data", "Meta Data", "GET Data", "POST Data", "Failed Logins"):
        assert english not in text


def test_the_schedule_actions_report_in_japanese(world: World) -> None:
    tasks = [PeriodicTaskFactory().pk, PeriodicTaskFactory().pk]
    client = signed_in(world.admin, language="ja")
    url = reverse("admin:django_celery_beat_periodictask_changelist")
    response = client.post(url, {"action": "disable_tasks", "_selected_action": tasks}, follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2 件のタスクを無効にしました。"]
    response = client.post(url, {"action": "enable_tasks", "_selected_action": tasks[:1]}, follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 件のタスクを有効にしました。"]


def test_a_periodic_task_without_a_task_is_refused_in_japanese(world: World) -> None:
    client = signed_in(world.admin, language="ja")
    response = client.post(reverse("admin:django_celery_beat_periodictask_add"), {"name": "Nightly", "args": "[]"})
    assert response.status_code == 200
    assert "タスク名を指定してください。" in response.content.decode()


def test_an_english_admin_reads_the_sections_in_english(world: World, schedules_and_lockouts: None) -> None:
    client = signed_in(world.admin, language="en")
    index = visible_text(client, "/admin/")
    for words in ("Sign-in lockout", "Access attempts", "Scheduled tasks", "Periodic tasks", "Crontabs"):
        assert words in index
    for japanese in ("ログインのロック", "アクセス試行", "定期実行", "定期タスク"):
        assert japanese not in index
    tasks = visible_text(client, "/admin/django_celery_beat/periodictask/")
    assert "By Task Name" in tasks
    assert "every 2 days" in tasks
    attempts = visible_text(client, "/admin/axes/accessattempt/")
    assert "3 Attempt Remaining" in attempts


def test_the_packages_apps_keep_their_labels_and_start_up_as_before(world: World) -> None:
    lockout = apps.get_app_config("axes")
    beat = apps.get_app_config("django_celery_beat")
    assert isinstance(lockout, SignInLockoutConfig)
    assert isinstance(beat, ScheduledTasksConfig)
    # axes' ready(): its checks and signal receivers are loaded; a failed sign-in is counted.
    assert SignInLockoutConfig.initialized
    Client().post("/login/", {"username": world.csm_a.email, "password": "wrong-password"})
    assert apps.get_model("axes", "AccessAttempt").objects.get().username == world.csm_a.email
    # celery-beat's ready(): a changed schedule tells beat to reload.
    before = PeriodicTasks.last_change()
    ClockedScheduleFactory()
    assert PeriodicTasks.last_change() != before


def package_msgids(package: object, *modules: str) -> set[str | tuple[str, str]]:
    """Every literal msgid the package passes to gettext in these modules (plural ones as pairs)."""
    root = Path(package.__file__).parent  # type: ignore[attr-defined]
    return {msgid for module in modules for msgid in msgids_in(root / module)}


def msgids_in(path: Path) -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        literals = [arg.value for arg in node.args[:2] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        if node.func.id in ("_", "gettext", "gettext_lazy", "gettext_noop") and literals:
            found.add(literals[0])
        elif node.func.id in ("ngettext", "ngettext_lazy") and len(literals) == 2:
            found.add((literals[0], literals[1]))
    return found


# Not listed on purpose (portal/third_party_messages.py says why).
LEFT_OUT = {"was,were", "Periodic Tasks"}


def test_our_catalogue_lists_every_string_the_packages_show_in_the_admin() -> None:
    theirs = package_msgids(axes, "admin.py", "models.py", "apps.py") | package_msgids(
        django_celery_beat, "admin.py", "models.py", "apps.py"
    )
    ours = msgids_in(Path(third_party_messages.__file__))
    assert sorted(map(str, theirs - ours - LEFT_OUT)) == []
    assert sorted(map(str, ours - theirs)) == []


def test_every_listed_string_has_japanese() -> None:
    ours = msgids_in(Path(third_party_messages.__file__))
    with translation.override("ja"):
        untranslated = [
            msgid
            for msgid in ours
            if (translation.ngettext(*msgid, 2) if isinstance(msgid, tuple) else translation.gettext(msgid))
            == (msgid[1] if isinstance(msgid, tuple) else msgid)
        ]
    assert untranslated == []
