"""Demo help content: a few categories, tutorials and FAQ entries (some translated), linked to
the demo playbooks' steps by key. Safe to run again: existing articles are left as they are."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from faq.models import Article, ArticleStep, Category
from faq.services import revision_record
from journeys.models import Step
from portal.models import Segment, User

CATEGORIES = [
    # slug, parent slug, Japanese, English
    ("getting-started", None, "はじめに", "Getting started"),
    ("sending", None, "配信", "Sending"),
    ("deliverability", "sending", "到達率とドメイン認証", "Deliverability and domain authentication"),
    ("data", None, "データ連携", "Data integration"),
    ("account", None, "アカウントとセキュリティ", "Account and security"),
]


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    category: str
    kind: str
    visibility: str
    title: str
    summary: str
    body: str
    steps: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    english: tuple[str, str, str] | None = None  # title, summary, body


ARTICLES = [
    DemoArticle(
        "sender-domain-setup",
        "deliverability",
        Article.Kind.TUTORIAL,
        Article.Visibility.PUBLIC,
        "送信ドメイン認証 (SPF/DKIM) を設定する",
        "DNS に2つのレコードを追加して、メールが迷惑メールに入りにくくします。所要時間は約15分です。",
        "## 準備するもの\n\n- 送信に使うドメイン(例: `example.co.jp`)\n- DNS を編集できる権限\n\n"
        "## SPF レコードを追加する\n\nDNS の管理画面で TXT レコードを追加します。\n\n"
        "```\nv=spf1 include:_spf.kachi.example ~all\n```\n\n"
        "## DKIM レコードを追加する\n\n設定画面に表示される CNAME を2件追加します。\n\n"
        "## 反映を確認する\n\n反映には最大24時間かかります。設定画面の「確認」で緑のチェックが付けば完了です。\n",
        steps=["sender-domain"],
        english=(
            "Set up sender domain authentication (SPF/DKIM)",
            "Add two DNS records so your e-mails stay out of spam folders. It takes about 15 minutes.",
            "## What you need\n\n- The domain you send from (e.g. `example.com`)\n- Access to edit its DNS\n\n"
            "## Add the SPF record\n\nAdd a TXT record in your DNS provider's console.\n\n"
            "```\nv=spf1 include:_spf.kachi.example ~all\n```\n\n"
            "## Add the DKIM records\n\nAdd the two CNAME records shown on the settings page.\n\n"
            "## Check that it works\n\nChanges can take up to 24 hours. A green tick next to “Verify” means done.\n",
        ),
    ),
    DemoArticle(
        "first-campaign",
        "sending",
        Article.Kind.TUTORIAL,
        Article.Visibility.CUSTOMERS,
        "最初のキャンペーンを配信する",
        "小さなセグメントにテスト配信し、結果を見てから広げる手順です。",
        "## 配信先を選ぶ\n\nまずは直近90日の購入者など、**反応が見込める小さなセグメント**を選びます。\n\n"
        "## テンプレートを選ぶ\n\n作成済みのテンプレートから選び、件名を決めます。\n\n"
        "## テスト送信する\n\n自分宛てにテスト送信し、表示崩れとリンクを確認します。\n\n"
        "## 配信を予約する\n\n開封されやすい時間帯(平日の昼休みなど)に予約しましょう。\n",
        steps=["first-campaign"],
    ),
    DemoArticle(
        "crm-integration",
        "data",
        Article.Kind.TUTORIAL,
        Article.Visibility.SEGMENTS,
        "CRM と顧客データを連携する",
        "Salesforce・HubSpot・kintone の顧客データを自動で取り込みます。",
        "## 連携の前に\n\n項目の対応表(メールアドレス、氏名、会社名)を用意します。\n\n"
        "## 接続する\n\n設定 → データ連携 で CRM を選び、管理者アカウントで許可します。\n\n"
        "## 同期を確認する\n\n初回同期の件数が CRM の件数と一致するか確認しましょう。\n",
        steps=["data-integration"],
        segments=["mid-market", "enterprise"],
    ),
    DemoArticle(
        "invite-team",
        "getting-started",
        Article.Kind.FAQ,
        Article.Visibility.CUSTOMERS,
        "チームメンバーを招待するには?",
        "",
        "「チーム」ページでメールアドレスを入力して招待します。招待リンクの有効期限は7日間です。",
        steps=["invite-team"],
    ),
    DemoArticle(
        "forgot-password",
        "account",
        Article.Kind.FAQ,
        Article.Visibility.PUBLIC,
        "パスワードを忘れた場合は?",
        "",
        "サインイン画面の「パスワードをお忘れですか?」から再設定用のメールを受け取れます。",
        english=(
            "I forgot my password. What do I do?",
            "",
            "Use “Forgot your password?” on the sign-in page to receive a reset e-mail.",
        ),
    ),
    DemoArticle(
        "sso-plans",
        "account",
        Article.Kind.FAQ,
        Article.Visibility.SEGMENTS,
        "シングルサインオン (SSO) は使えますか?",
        "",
        "はい。SAML 2.0 に対応した IdP (Microsoft Entra ID、Okta など) と連携できます。担当CSMにご相談ください。",
        steps=["sso-setup"],
        segments=["enterprise"],
    ),
]


def seed_help_centre(*, by: User | None) -> int:
    """Create the demo categories and articles that do not exist yet. Returns how many articles were added."""
    categories: dict[str, Category] = {}
    for position, (slug, parent, name, name_en) in enumerate(CATEGORIES):
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug,
            defaults={"parent": categories.get(parent or ""), "name": name, "name_en": name_en, "position": position},
        )
    step_playbooks: dict[str, set[str]] = {}
    for playbook_key, step_key in Step.objects.values_list("playbook__key", "key").distinct():
        step_playbooks.setdefault(step_key, set()).add(playbook_key)
    segments = {s.slug: s for s in Segment.objects.all()}
    added = 0
    for position, spec in enumerate(ARTICLES):
        if Article.objects.filter(language="ja", slug=spec.slug).exists():
            continue
        common = {
            "kind": spec.kind,
            "category": categories[spec.category],
            "visibility": spec.visibility,
            "status": Article.Status.PUBLISHED,
            "published_at": timezone.now(),
            "position": position,
            "updated_by": by,
        }
        article = Article.objects.create(
            slug=spec.slug, language="ja", title=spec.title, summary=spec.summary, body=spec.body, **common
        )
        versions = [article]
        if spec.english:
            title, summary, body = spec.english
            versions.append(
                Article.objects.create(
                    slug=spec.slug,
                    language="en",
                    title=title,
                    summary=summary,
                    body=body,
                    translation_of=article,
                    **common,
                )
            )
        for version in versions:
            version.segments.set([segments[s] for s in spec.segments if s in segments])
            ArticleStep.objects.bulk_create(
                [
                    ArticleStep(article=version, playbook_key=playbook_key, step_key=step_key)
                    for step_key in spec.steps
                    for playbook_key in sorted(step_playbooks.get(step_key, ()))
                ]
            )
            revision_record(article=version, by=by)
            added += 1
    return added
