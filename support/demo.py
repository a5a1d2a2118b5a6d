"""Demo data for the support desk: a business calendar, reply-time targets, categories, a support
agent, and three months of inquiries across the demo accounts — most answered within the hour,
some within the day, some late, some still waiting — plus ask attempts that the help articles
solved before a question was sent. Called by ``manage.py seed_demo``; adds nothing if inquiries exist."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from faq.search import search_articles
from portal.models import Account, Membership, Segment, User
from support.models import BusinessCalendar, BusinessHours, Category, ClosedDay, Inquiry, ReplyTarget
from support.services import (
    attempt_shown,
    attempt_solved,
    attempt_start,
    inquiry_create,
    inquiry_reply,
    inquiry_set_status,
)

AGENTS = [("tanaka@kachi.example", "田中 葵"), ("lee@kachi.example", "Daniel Lee")]

CATEGORIES = [
    ("data", "データ連携", "Connecting data"),
    ("sending", "配信", "Sending"),
    ("account", "アカウント・権限", "Accounts and permissions"),
    ("billing", "請求・契約", "Billing and contract"),
    ("other", "その他", "Something else"),
]

# subject, body, category, the step it is usually about (by key)
QUESTIONS = [
    (
        "CSV インポートが途中で止まります",
        "顧客リストの CSV を取り込むと、2 行目でエラーになります。Excel で保存したファイルです。",
        "data",
        "data-integration",
    ),
    (
        "Salesforce 連携が「権限がありません」になります",
        "連携設定の最後で権限エラーが出ます。管理者権限のユーザーで操作しています。",
        "data",
        "data-integration",
    ),
    (
        "SPF レコードの書き方を教えてください",
        "DNS 管理画面に何を入力すればよいかわかりません。既存の SPF レコードがあります。",
        "sending",
        "sender-domain",
    ),
    (
        "テスト配信が届きません",
        "自分宛てのテスト配信が 30 分たっても届きません。迷惑メールフォルダにもありません。",
        "sending",
        "first-campaign",
    ),
    (
        "メンバーを招待したいのですが招待メールが届かない",
        "2 名招待しましたが、招待メールが届いていないそうです。",
        "account",
        "invite-team",
    ),
    (
        "SSO の設定で証明書のエラー",
        "Microsoft Entra ID と連携しようとすると、証明書が無効と表示されます。",
        "account",
        "sso-setup",
    ),
    ("請求書の宛名を変更したい", "来月分から請求書の宛名を部署名入りに変更できますか。", "billing", ""),
    (
        "Import stops at row 2",
        "Our CSV import fails at row 2 with an encoding error. The file comes from Excel.",
        "data",
        "data-integration",
    ),
    (
        "How do I read the open rate?",
        "The report shows an open rate of 0% for our first campaign, which seems wrong.",
        "sending",
        "report-review",
    ),
    (
        "Can we add a second administrator?",
        "Our IT lead also needs administrator rights. How do we give them?",
        "account",
        "invite-team",
    ),
    ("配信の予約を取り消したい", "予約した配信を取り消して、日時を変更したいです。", "sending", "first-campaign"),
    (
        "トレーニングの録画はありますか",
        "管理者向けトレーニングに参加できなかったメンバーがいます。",
        "other",
        "training",
    ),
]
REPLIES_JA = [
    "お問い合わせありがとうございます。Excel で「CSV UTF-8 (コンマ区切り)」を選んで保存し直すと取り込めます。",
    "確認しました。設定画面の手順どおりに再度お試しいただけますか。結果をこのスレッドでお知らせください。",
    "ご不便をおかけしています。こちらで設定を確認し、修正しました。もう一度お試しください。",
]
REPLIES_EN = [
    "Thanks for asking. Saving the file again as “CSV UTF-8 (Comma delimited)” in Excel fixes it.",
    "We checked your settings: please try the steps in the guide once more and tell us how it goes here.",
    "Sorry for the trouble: we corrected the setting on our side. Please try again.",
]
NOTES = [
    "文字コードの問題。ヘルプ記事を案内。",
    "連携先の権限設定の可能性。エンジニアに確認中。",
    "Known issue with old Excel versions.",
]


def _calendar(now: datetime) -> BusinessCalendar:
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="東京 平日 9:00-18:00", defaults={"time_zone": "Asia/Tokyo", "japanese_holidays": True}
    )
    if created:
        for weekday in range(5):
            BusinessHours.objects.create(calendar=calendar, weekday=weekday, opens=time(9), closes=time(12))
            BusinessHours.objects.create(calendar=calendar, weekday=weekday, opens=time(13), closes=time(18))
        for year in (now.year - 1, now.year, now.year + 1):
            for day in (date(year, 12, 29), date(year, 12, 30), date(year, 12, 31), date(year, 1, 2), date(year, 1, 3)):
                ClosedDay.objects.get_or_create(calendar=calendar, day=day, defaults={"name": "年末年始休業"})
    return calendar


# The newest questions, asked within the last 40 minutes and not answered yet.
NEWEST = 3


def _asked(rng: random.Random, now: datetime, *, recent: bool) -> datetime:
    """When a demo question came in: the newest within the last hours; the others over 90 days, most
    on weekdays between 9:00 and 19:00 Tokyo time, some in the evening or at the weekend."""
    if recent:
        return now - timedelta(days=rng.uniform(0.02, 0.5))
    moment = timezone.localtime(now - timedelta(days=rng.uniform(1, 90)))
    if rng.random() < 0.8:
        while moment.weekday() >= 5:
            moment -= timedelta(days=1)
        moment = moment.replace(hour=rng.randrange(9, 19), minute=rng.randrange(60))
    return moment


def seed_support(
    *, rng: random.Random, now: datetime, password: str, steps: dict[int, list[tuple[str, str]]]
) -> dict[str, int]:
    """``steps``: for each account, the (playbook key, step key) of its journey's steps."""
    agents = []
    for email, name in AGENTS:
        agent, _created = User.objects.get_or_create(
            email=email,
            defaults={"name": name, "role": User.Role.AGENT, "password": password,
                      "language": "en" if email.startswith("lee") else "ja"},
        )  # fmt: skip
        agents.append(agent)
    if Inquiry.objects.exists():
        return {"inquiries": 0, "attempts": 0}
    calendar = _calendar(now)
    business = calendar.clock(around=timezone.localdate(now))
    ReplyTarget.objects.get_or_create(segment=None, plan="", priority="", defaults={"calendar": calendar})
    enterprise = Segment.objects.filter(slug="enterprise").first()
    if enterprise is not None:
        ReplyTarget.objects.get_or_create(
            segment=enterprise, plan="", priority="",
            defaults={"calendar": calendar, "fast_minutes": 30, "first_reply_minutes": 8 * 60},
        )  # fmt: skip
    categories = {}
    for position, (slug, name, name_en) in enumerate(CATEGORIES):
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "position": position}
        )
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    accounts = list(Account.objects.exclude(status=Account.Status.CHURNED).select_related("csm").order_by("pk"))
    inquiries = attempts = 0
    for n in range(70):
        account = accounts[(n * 7) % len(accounts)]
        members = list(Membership.objects.filter(account=account).select_related("user").order_by("pk"))
        author = members[n % len(members)].user
        subject, body, category, step_key = QUESTIONS[n % len(QUESTIONS)]
        keys = dict((s, p) for p, s in steps.get(account.pk, []))
        playbook_key = keys.get(step_key, "")
        asked = now - timedelta(minutes=rng.uniform(3, 40)) if n < NEWEST else _asked(rng, now, recent=n < 6)
        attempt = attempt_start(
            account=account, user=author, query=subject, playbook_key=playbook_key,
            step_key=step_key if playbook_key else "", category=categories[category], at=asked,
        )  # fmt: skip
        suggested = list(search_articles(subject, user=author, language="ja")[:5])
        if suggested:
            attempt_shown(attempt=attempt, article_ids=[a.pk for a in suggested])
        if suggested and rng.random() < 0.3:  # the article answered it: no question sent
            attempt_solved(attempt=attempt, article=suggested[0], at=asked)
            attempts += 1
            continue
        attempts += 1
        inquiry = inquiry_create(
            account=account, author=author, subject=subject, body=body, category=categories[category],
            priority="high" if n % 11 == 0 else "normal", playbook_key=playbook_key,
            step_key=step_key if playbook_key else "", attempt=attempt, at=asked,
        )  # fmt: skip
        inquiries += 1
        staff = rng.choice([*agents, *([account.csm] if account.csm else []), *([admin] if admin else [])])
        english = subject.isascii()
        # Most answered within the hour, some within the day, some late; the newest still waiting for us.
        # (within the hour: of the desk's business hours, so a question asked at night is answered
        # soon after opening).
        if n < NEWEST:  # whatever the time of day, the desk has questions waiting for a first reply
            continue
        roll = rng.random()
        if roll < 0.6:
            replied = business.add(asked, timedelta(minutes=rng.uniform(5, 55))) or asked
        else:
            replied = asked + timedelta(hours=rng.uniform(2, 20) if roll < 0.85 else rng.uniform(26, 60))
        delay = replied - asked
        if replied >= now:
            continue
        if rng.random() < 0.3:
            inquiry_reply(inquiry=inquiry, by=staff, body=rng.choice(NOTES), internal=True, at=asked + delay / 2)
        outcome = rng.random()
        status = "solved" if outcome < 0.6 else "waiting"
        reply = rng.choice(REPLIES_EN if english else REPLIES_JA)
        inquiry_reply(inquiry=inquiry, by=staff, body=reply, status=status, at=replied)
        if status == "waiting" and outcome > 0.85 and replied + timedelta(hours=4) < now:
            follow_up = "Thanks, that worked." if english else "ありがとうございます。解決しました。"
            inquiry_reply(inquiry=inquiry, by=author, body=follow_up, at=replied + timedelta(hours=3))
            inquiry_set_status(inquiry=inquiry, status="solved", by=staff, at=replied + timedelta(hours=4))
        elif status == "waiting" and replied + timedelta(days=10) < now:  # no answer from them: closed
            inquiry_set_status(inquiry=inquiry, status="closed", by=staff, at=replied + timedelta(days=10))
    return {"inquiries": inquiries, "attempts": attempts}
