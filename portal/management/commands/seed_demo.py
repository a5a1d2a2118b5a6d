"""Demo data: a believable world to click through. Safe to run again: it only adds what is missing."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from faq.demo import seed_help_centre
from journeys.demo import seed_journeys, seed_workspace, steps_by_account
from journeys.onboarding.selectors import playbooks_of_steps
from portal.models import Account, Membership, Segment, User
from support.demo import AGENTS, seed_support

DEMO_PASSWORD = "kachi-demo"  # noqa: S105 - printed for people to sign in with

SEGMENTS = [
    # name, slug, first_action, first_value, full_value, milestone, roi, adoption (target days), reference band
    ("PLG", "plg", 1, 7, 14, 10, 60, 14, (1, 7)),
    ("SMB", "smb", 3, 21, 45, 30, 120, 30, (7, 21)),
    ("Mid-market", "mid-market", 7, 45, 90, 60, 180, 60, (20, 45)),
    ("Enterprise", "enterprise", 14, 90, 180, 120, 365, 90, (30, 90)),
]

ADMIN = ("admin@kachi.example", "管理 花子", User.Role.ADMIN)
CSMS = [
    ("sato@kachi.example", "佐藤 美咲"),
    ("suzuki@kachi.example", "鈴木 健太"),
    ("takahashi@kachi.example", "高橋 由美"),
    ("evans@kachi.example", "Olivia Evans"),
]

ACCOUNTS = [
    ("さくらフーズ株式会社", "sakura-foods"),
    ("青葉ロジスティクス", "aoba-logistics"),
    ("株式会社みなと製作所", "minato-works"),
    ("ひかり不動産", "hikari-realty"),
    ("株式会社つばさ旅行", "tsubasa-travel"),
    ("北斗メディカル", "hokuto-medical"),
    ("やまと建設", "yamato-construction"),
    ("株式会社こだま通信", "kodama-telecom"),
    ("すずらん保険", "suzuran-insurance"),
    ("株式会社はやぶさ運輸", "hayabusa-transport"),
    ("みどり農園", "midori-farms"),
    ("株式会社かえでソフト", "kaede-soft"),
    ("あさひ銀行", "asahi-bank"),
    ("株式会社いろは出版", "iroha-publishing"),
    ("富士見ホテルズ", "fujimi-hotels"),
    ("株式会社しずくコスメ", "shizuku-cosmetics"),
    ("ながれ電機", "nagare-electric"),
    ("株式会社たまき教育", "tamaki-education"),
    ("おおぞら航空サービス", "oozora-aviation"),
    ("株式会社ゆずデザイン", "yuzu-design"),
    ("しらかば酒造", "shirakaba-brewery"),
    ("株式会社あかね人材", "akane-staffing"),
    ("うみかぜ水産", "umikaze-fisheries"),
    ("株式会社ときわ薬品", "tokiwa-pharma"),
    ("Northwind Traders KK", "northwind-traders"),
    ("Blue Harbor Apparel", "blue-harbor-apparel"),
    ("Kestrel Analytics", "kestrel-analytics"),
    ("Lumen Retail Japan", "lumen-retail"),
    ("Orchid Health", "orchid-health"),
    ("Pine & Co. Consulting", "pine-consulting"),
    ("株式会社まつり企画", "matsuri-planning"),
    ("いなほ食品", "inaho-foods"),
    ("株式会社そよ風エナジー", "soyokaze-energy"),
    ("きらり美容室", "kirari-salon"),
    ("株式会社わかば保育", "wakaba-childcare"),
    ("こはく法律事務所", "kohaku-law"),
    ("株式会社ほたるゲームス", "hotaru-games"),
    ("つむぎ繊維", "tsumugi-textiles"),
    ("株式会社れんげ介護", "renge-care"),
    ("ひばり放送", "hibari-broadcasting"),
]
FAMILY = [
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
]
GIVEN = ["翔太", "陽菜", "大輔", "さくら", "蓮", "結衣", "拓海", "美月", "健一", "愛", "悠斗", "真央"]
TITLES = ["情報システム部 部長", "マーケティング担当", "営業企画", "カスタマーサポート", "経営企画室", "DX推進担当"]
PLANS_BY_SEGMENT = {
    "plg": [Account.Plan.STARTER, Account.Plan.GROWTH],
    "smb": [Account.Plan.STARTER, Account.Plan.GROWTH, Account.Plan.BUSINESS],
    "mid-market": [Account.Plan.GROWTH, Account.Plan.BUSINESS],
    "enterprise": [Account.Plan.BUSINESS, Account.Plan.ENTERPRISE],
}
INVESTMENT_BY_PLAN = {"starter": 120_000, "growth": 600_000, "business": 2_400_000, "enterprise": 9_600_000}


class Command(BaseCommand):
    help = "Create the demo world (segments, staff, ~40 customer accounts with their users). Idempotent."

    @transaction.atomic
    def handle(self, *args: object, **options: Any) -> None:
        rng = random.Random(20260401)
        password = make_password(DEMO_PASSWORD)
        now = timezone.now()
        created = {"segments": 0, "users": 0, "accounts": 0}

        segments: list[Segment] = []
        for name, slug, fa, fv, full, ms, roi, adoption, (band_low, band_high) in SEGMENTS:
            segment, was_created = Segment.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "position": len(segments),
                    "target_first_action_days": fa,
                    "target_first_value_days": fv,
                    "target_full_value_days": full,
                    "target_milestone_days": ms,
                    "target_roi_days": roi,
                    "target_adoption_days": adoption,
                    "reference_low_days": band_low,
                    "reference_high_days": band_high,
                },
            )
            segments.append(segment)
            created["segments"] += was_created

        def user(email: str, name: str, role: str, **extra: object) -> User:
            obj, was_created = User.objects.get_or_create(
                email=email, defaults={"name": name, "role": role, "password": password, **extra}
            )
            created["users"] += was_created
            return obj

        user(ADMIN[0], ADMIN[1], ADMIN[2], is_superuser=True)
        csms = [
            user(email, name, User.Role.CSM, language="en" if email.startswith("evans") else "ja")
            for email, name in CSMS
        ]

        for index, (name, slug) in enumerate(ACCOUNTS):
            segment = segments[index % len(segments)] if index >= 4 else segments[[1, 0, 2, 3][index]]
            plan = rng.choice(PLANS_BY_SEGMENT[segment.slug])
            # Contract starts spread over the last twelve months; the first accounts are recent.
            start = now - timedelta(
                days=rng.randint(3, 360) if index >= 2 else 10 + index * 5, hours=rng.randint(0, 23)
            )
            age = (now - start).days
            churned = age > 150 and index % 9 == 5
            status = (
                Account.Status.CHURNED
                if churned
                else (Account.Status.ONBOARDING if age < 120 else Account.Status.ACTIVE)
            )
            account, was_created = Account.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "segment": segment,
                    "plan": plan,
                    "contract_start": start,
                    "investment_amount": Decimal(INVESTMENT_BY_PLAN[plan]),
                    "csm": csms[index % len(csms)] if index % 13 != 12 else None,
                    "status": status,
                    "churned_at": start + timedelta(days=rng.randint(60, age - 30)) if churned else None,
                },
            )
            created["accounts"] += was_created
            domain = f"{slug}.example"
            people = 2 + rng.randint(0, 3)
            for position in range(people):
                family, given = rng.choice(FAMILY), rng.choice(GIVEN)
                local = "admin" if position == 0 else f"user{position}"
                person = user(f"{local}@{domain}", f"{family} {given}", User.Role.CUSTOMER)
                Membership.objects.get_or_create(
                    user=person,
                    defaults={
                        "account": account,
                        "role": Membership.Role.ADMIN if position == 0 else Membership.Role.MEMBER,
                        "title": rng.choice(TITLES),
                    },
                )

        journeys_created = seed_journeys(rng=rng, now=now)
        workspace = seed_workspace(rng=rng, now=now)
        articles_added = seed_help_centre(
            by=User.objects.filter(is_superuser=True).order_by("pk").first(), step_playbooks=playbooks_of_steps()
        )
        support = seed_support(rng=rng, now=now, password=password, steps=steps_by_account())

        if options.get("verbosity", 1) >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    "Demo data ready: {segments} segments, {users} users and {accounts} accounts added "
                    "(existing ones left as they were).".format(**created)
                )
            )
            self.stdout.write(
                self.style.SUCCESS(
                    "Journeys: {playbooks} playbook versions, {journeys} journeys, {step_changes} step changes, "
                    "{events} usage events, {achievements} achievements and {value_records} value records "
                    "added.".format(**journeys_created)
                )
            )
            self.stdout.write(
                self.style.SUCCESS(
                    "CS managers: {goals} success-plan goals and {notes} notes added; {risks} accounts' risk "
                    "evaluated.".format(**workspace)
                )
            )
            self.stdout.write(self.style.SUCCESS(f"Help centre: {articles_added} articles added."))
            self.stdout.write(
                self.style.SUCCESS(
                    "Support desk: {inquiries} inquiries and {attempts} ask attempts added.".format(**support)
                )
            )
            self.stdout.write(demo_logins_text())


def demo_logins_text() -> str:
    first = ACCOUNTS[0][1]
    rows = [
        ("Admin", ADMIN[0]),
        ("CS manager", CSMS[0][0]),
        ("Support agent", AGENTS[0][0]),
        ("Customer admin", f"admin@{first}.example"),
        ("Customer member", f"user1@{first}.example"),
    ]
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {role:<16} {email}" for role, email in rows]
    return "\n".join(lines)
