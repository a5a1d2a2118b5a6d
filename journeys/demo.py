"""Demo journeys: one onboarding playbook per segment (SMB with two versions) and a believable
history for every demo account, written through the services as it would have happened.

Called by ``manage.py seed_demo`` inside its transaction. Idempotent: an account that already has
its journey is left alone, and playbooks are only created when their key is missing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from journeys.events.models import UsageEvent
from journeys.events.rules import local_zone
from journeys.events.services.api_keys import api_key_create
from journeys.events.services.ingest import events_ingest
from journeys.onboarding.models import (
    Achievement,
    Journey,
    Milestone,
    Playbook,
    Step,
    StepEvent,
    StepState,
    ValueRecord,
)
from journeys.onboarding.services.evaluation import accounts_evaluate
from journeys.onboarding.services.journeys import journey_start, value_record_create
from journeys.onboarding.services.playbooks import playbook_new_version, playbook_publish
from journeys.onboarding.services.steps import step_set_status
from portal.models import Account, ApiToken, Membership, MilestoneKind, Segment, User

DEMO_API_KEY_NAME = "Demo product events"
EVENT_BATCH = 1000
Status = StepState.Status
CUSTOMER, CSM = Step.Owner.CUSTOMER, Step.Owner.CSM


# --- The playbooks --------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    title: str
    guidance: str
    owner: str = CUSTOMER
    required: bool = True
    event_name: str = ""
    event_min_count: int = 1


STEPS: dict[str, StepSpec] = {
    "kickoff": StepSpec(
        "キックオフミーティングの実施",
        "導入の目的と成功の定義をすり合わせます。\n\n"
        "- 導入で達成したい成果(例: メール経由の売上、問い合わせ件数の削減)\n"
        "- 成果を測る指標 (KPI) と目標値\n"
        "- 担当者・スケジュール・次回の打ち合わせ日\n\n"
        "議事録はこのページのメモに残してください。",
        owner=CSM,
    ),
    "admin-account": StepSpec(
        "管理者アカウントの作成",
        "招待メールのリンクから管理者アカウントを作成し、**初回ログイン**してください。\n\n"
        "ログインするとこのステップは自動で完了します。",
        event_name="login",
    ),
    "security-review": StepSpec(
        "情報セキュリティ審査の完了",
        "貴社の情報システム部門による審査に必要な資料をご用意しています。\n\n"
        "1. セキュリティチェックシート(回答済み)をダウンロード\n"
        "2. 第三者認証 (ISMS) の証明書を確認\n"
        "3. 審査結果を担当CSMにお知らせください",
    ),
    "sso-setup": StepSpec(
        "シングルサインオン (SSO) の設定",
        "SAML 2.0 に対応した IdP (Microsoft Entra ID、Okta など) と連携します。\n\n"
        "設定後は、テストユーザーで**ログインできること**を確認してください。",
    ),
    "training": StepSpec(
        "管理者向けトレーニングの受講",
        "約60分のオンライン講座です。配信設定、権限管理、レポートの見方を一通り学べます。\n\n"
        "録画もご用意しているので、参加できなかった方にも共有できます。",
    ),
    "invite-team": StepSpec(
        "チームメンバーの招待",
        "配信を担当する方、レポートを見る方を**2名以上**招待しましょう。\n\n"
        "一人で運用するより、チームで使うほうが早く成果が出ます。",
        event_name="member_invited",
        event_min_count=2,
    ),
    "data-integration": StepSpec(
        "データ連携の設定",
        "CRM (Salesforce、HubSpot、kintone) や EC (Shopify) と連携し、顧客データを自動で取り込みます。\n\n"
        "連携できない場合は CSV インポートでも始められます。連携が確認できると自動で完了します。",
        event_name="integration_connected",
    ),
    "sender-domain": StepSpec(
        "送信ドメイン認証 (SPF/DKIM) の設定",
        "到達率を上げるため、送信ドメインの DNS に SPF と DKIM のレコードを追加します。\n\n"
        "```\nv=spf1 include:_spf.kachi.example ~all\n```\n\n"
        "反映まで最大48時間かかることがあります。",
    ),
    "template-setup": StepSpec(
        "メールテンプレートの作成",
        "ブランドカラーとロゴを設定し、よく使うテンプレートを1つ作っておきましょう。",
        required=False,
    ),
    "segment-design": StepSpec(
        "配信セグメント設計ワークショップ",
        "担当CSMと一緒に、最初に届ける相手(例: 直近90日の購入者)と配信シナリオを決めます。",
        owner=CSM,
    ),
    "first-campaign": StepSpec(
        "最初のキャンペーン配信",
        "小さなセグメントに向けて、最初のキャンペーンを配信しましょう。\n\n"
        "- まずは自分宛てにテスト配信\n- 配信予約をして、**配信完了**を確認\n\n配信されると自動で完了します。",
        event_name="campaign_sent",
    ),
    "report-review": StepSpec(
        "効果測定レポートの確認",
        "開封率・クリック率・コンバージョンをレポートで確認し、次の配信の改善点を1つ決めましょう。\n\n"
        "レポートを開くと自動で完了します。",
        event_name="report_viewed",
    ),
    "automation": StepSpec(
        "シナリオ配信(自動化)の設定",
        "ウェルカムメールやカゴ落ちメールなど、条件に応じて自動で届くシナリオを設定します。",
        required=False,
    ),
    "line-channel": StepSpec(
        "LINE公式アカウントの連携",
        "LINE公式アカウントを連携すると、メールと同じセグメントに LINE でも配信できます。\n\n"
        "Messaging API のチャネルアクセストークンをご用意ください。",
        required=False,
    ),
    "success-review": StepSpec(
        "成果レビュー会の実施",
        "キックオフで決めた指標に対する成果を振り返り、次の四半期の目標を決めます。",
        owner=CSM,
    ),
}

# The same steps in English: (title, guidance), by step key.
STEPS_EN: dict[str, tuple[str, str]] = {
    "kickoff": (
        "Hold the kick-off meeting",
        "Agree on why you are adopting the product and what success looks like.\n\n"
        "- The results you want (for example revenue from e-mail, fewer support questions)\n"
        "- The measures (KPIs) and their targets\n"
        "- Who does what, the schedule and the date of the next meeting\n\n"
        "Keep the minutes in a note on this page.",
    ),
    "admin-account": (
        "Create the administrator account",
        "Create the administrator account from the link in the invitation e-mail and **sign in for the first "
        "time**.\n\nThis step completes itself when you sign in.",
    ),
    "security-review": (
        "Complete the information security review",
        "Everything your IT department needs for its review is ready for you.\n\n"
        "1. Download the completed security questionnaire\n"
        "2. Check the third-party (ISMS) certificate\n"
        "3. Tell your CS manager the result of the review",
    ),
    "sso-setup": (
        "Set up single sign-on (SSO)",
        "Connect an identity provider that supports SAML 2.0 (Microsoft Entra ID, Okta and others).\n\n"
        "Once it is set up, check that a test user **can sign in**.",
    ),
    "training": (
        "Attend the administrator training",
        "An online course of about 60 minutes: sending settings, permissions and how to read the reports.\n\n"
        "A recording is available for anyone who could not attend.",
    ),
    "invite-team": (
        "Invite your team",
        "Invite **at least two** people: those who will send campaigns and those who will read the reports.\n\n"
        "A team gets results sooner than one person alone.",
    ),
    "data-integration": (
        "Connect your data",
        "Connect your CRM (Salesforce, HubSpot, kintone) or shop (Shopify) to bring in customer data "
        "automatically.\n\nIf you cannot connect yet, start with a CSV import. The step completes itself once "
        "the connection is confirmed.",
    ),
    "sender-domain": (
        "Authenticate your sending domain (SPF/DKIM)",
        "To reach more inboxes, add SPF and DKIM records to your sending domain's DNS.\n\n"
        "```\nv=spf1 include:_spf.kachi.example ~all\n```\n\n"
        "The change can take up to 48 hours to take effect.",
    ),
    "template-setup": (
        "Create an e-mail template",
        "Set your brand colours and logo, and make one template you will use often.",
    ),
    "segment-design": (
        "Segment design workshop",
        "With your CS manager, decide whom to reach first (for example buyers of the last 90 days) and the "
        "campaign scenario.",
    ),
    "first-campaign": (
        "Send your first campaign",
        "Send your first campaign to a small segment.\n\n"
        "- Send a test to yourself first\n- Schedule it and check that it was **delivered**\n\n"
        "The step completes itself once it is delivered.",
    ),
    "report-review": (
        "Review the results report",
        "Check open, click and conversion rates in the report and choose one thing to improve in the next "
        "campaign.\n\nThe step completes itself when you open the report.",
    ),
    "automation": (
        "Set up automated scenarios",
        "Set up scenarios that send by themselves when their conditions are met, such as welcome and "
        "abandoned-cart e-mails.",
    ),
    "line-channel": (
        "Connect your LINE Official Account",
        "With your LINE Official Account connected, you can reach the same segments on LINE as by e-mail.\n\n"
        "Have the channel access token of the Messaging API ready.",
    ),
    "success-review": (
        "Hold the results review",
        "Look back at the results against the measures agreed at the kick-off and set next quarter's goals.",
    ),
}


@dataclass(frozen=True)
class PlaybookSpec:
    name: str
    description: str
    steps: list[tuple[str, int]]  # step key, due offset in days
    key_milestone: tuple[str, list[str], int | None]  # name, step keys, explicit target (None: the segment's)
    first_value_campaigns: int = 1
    name_en: str = ""
    description_en: str = ""
    key_milestone_en: str = ""


PLAYBOOKS: dict[str, PlaybookSpec] = {
    "plg": PlaybookSpec(
        "PLG セルフオンボーディング",
        "無料トライアルから始めるお客様向け。最初の配信まで、ひとりで最短で進められる流れです。",
        [
            ("admin-account", 0),
            ("data-integration", 2),
            ("template-setup", 3),
            ("first-campaign", 5),
            ("invite-team", 7),
            ("report-review", 10),
        ],
        ("連携データで初回配信", ["data-integration", "first-campaign"], None),
        name_en="PLG self-service onboarding",
        description_en="For customers who start with a free trial: the quickest path, on their own, to the first "
        "campaign.",
        key_milestone_en="First campaign with connected data",
    ),
    "smb": PlaybookSpec(
        "SMB オンボーディング",
        "中小企業のお客様向け。CSM のキックオフから、最初の配信と効果測定までを45日で。",
        [
            ("admin-account", 1),
            ("kickoff", 3),
            ("invite-team", 7),
            ("data-integration", 10),
            ("sender-domain", 14),
            ("first-campaign", 21),
            ("report-review", 28),
            ("success-review", 45),
        ],
        ("連携データで初回配信", ["data-integration", "first-campaign"], None),
        name_en="SMB onboarding",
        description_en="For small and medium businesses: from the CS manager's kick-off to the first campaign and its "
        "results in 45 days.",
        key_milestone_en="First campaign with connected data",
    ),
    "mid-market": PlaybookSpec(
        "ミッドマーケット オンボーディング",
        "複数部門で使うお客様向け。トレーニングとセグメント設計を含む90日の導入計画です。",
        [
            ("kickoff", 5),
            ("admin-account", 5),
            ("training", 14),
            ("invite-team", 18),
            ("sender-domain", 25),
            ("data-integration", 35),
            ("segment-design", 45),
            ("first-campaign", 50),
            ("report-review", 60),
            ("automation", 75),
            ("success-review", 90),
        ],
        ("セグメント配信の開始", ["segment-design", "first-campaign"], None),
        name_en="Mid-market onboarding",
        description_en="For customers using it across several departments: a 90-day plan with training and segment "
        "design.",
        key_milestone_en="Segmented campaigns under way",
    ),
    "enterprise": PlaybookSpec(
        "エンタープライズ導入プログラム",
        "全社導入のお客様向け。セキュリティ審査・SSO から本番運用、成果レビューまで180日で進めます。",
        [
            ("kickoff", 7),
            ("admin-account", 10),
            ("security-review", 30),
            ("sso-setup", 45),
            ("training", 55),
            ("invite-team", 60),
            ("data-integration", 75),
            ("segment-design", 90),
            ("first-campaign", 100),
            ("report-review", 120),
            ("automation", 150),
            ("success-review", 180),
        ],
        ("本番運用開始 (SSO とデータ連携)", ["sso-setup", "data-integration"], 100),
        first_value_campaigns=3,
        name_en="Enterprise adoption programme",
        description_en="For company-wide adoption: from the security review and SSO to live operation and the results "
        "review in 180 days.",
        key_milestone_en="Live operation (SSO and connected data)",
    ),
}
SMB_V2_STEP = ("line-channel", 35)
SMB_V2_AGE = timedelta(days=120)  # SMB accounts younger than this start on version 2


def playbook_key(segment_slug: str) -> str:
    return f"{segment_slug}-onboarding"


def _milestones(spec: PlaybookSpec) -> list[dict]:
    key_name, key_steps, key_target = spec.key_milestone
    campaigns = spec.first_value_campaigns
    return [
        {
            "key": "first-login",
            "name": "初回ログイン",
            "name_en": "First sign-in",
            "description": "チームの誰かが初めてログインした日です。",
            "description_en": "The day someone on your team first signed in.",
            "kind": MilestoneKind.FIRST_ACTION,
            "rule": Milestone.Rule.EVENT,
            "event_name": "login",
        },
        {
            "key": "first-delivered-campaign",
            "name": "初回キャンペーンの配信成功" if campaigns == 1 else f"キャンペーン配信成功 {campaigns} 回",
            "name_en": "First campaign delivered" if campaigns == 1 else f"{campaigns} campaigns delivered",
            "description": "キャンペーンがお客様に届いた日です (テスト配信は数えません)。"
            if campaigns == 1
            else f"{campaigns} 回目のキャンペーンがお客様に届いた日です (テスト配信は数えません)。",
            "description_en": "The day a campaign reached your customers (tests do not count)."
            if campaigns == 1
            else f"The day {campaigns} campaigns have reached your customers (tests do not count).",
            "kind": MilestoneKind.FIRST_VALUE,
            "rule": Milestone.Rule.EVENT,
            "event_name": "campaign_sent",
            "event_min_count": campaigns,
            "event_properties": {"status": "delivered"},
        },
        {
            "key": "key-milestone",
            "name": key_name,
            "name_en": spec.key_milestone_en,
            "kind": MilestoneKind.MILESTONE,
            "rule": Milestone.Rule.STEPS,
            "target_days": key_target,
            "steps": key_steps,
        },
        {
            "key": "onboarding-complete",
            "name": "導入完了(必須ステップすべて完了)",
            "name_en": "Onboarding complete (every required step done)",
            "kind": MilestoneKind.FULL_VALUE,
            "rule": Milestone.Rule.STEPS,
        },
        {
            "key": "regular-use",
            "name": "定着利用(14日間で5日以上ログイン)",
            "name_en": "Regular use (signed in on 5 days within 14)",
            "description": "14日間のうち5日以上、チームがログインしていれば達成です。",
            "description_en": "Reached when your team signs in on at least 5 days within 14.",
            "kind": MilestoneKind.ADOPTION,
            "rule": Milestone.Rule.EVENT,
            "event_name": "login",
            "event_min_count": 5,
            "event_min_days": 5,
            "event_window_days": 14,
        },
        {
            "key": "roi",
            "name": "投資回収 (ROI)",
            "name_en": "Return on investment (ROI)",
            "description": "記録された成果の金額が、導入への投資額に達した日です。",
            "description_en": "The day the value recorded reaches what you invested.",
            "kind": MilestoneKind.ROI,
            "rule": Milestone.Rule.ROI,
        },
    ]


def _add_step(playbook: Playbook, key: str, due: int, position: int) -> Step:
    spec = STEPS[key]
    # No service adds a step to a draft (the admin's inline form does it the same way).
    return Step.objects.create(
        playbook=playbook,
        key=key,
        position=position,
        title=spec.title,
        title_en=STEPS_EN[key][0],
        guidance=spec.guidance,
        guidance_en=STEPS_EN[key][1],
        owner=spec.owner,
        due_offset_days=due,
        required=spec.required,
        event_name=spec.event_name,
        event_min_count=spec.event_min_count,
    )


def _playbook_v1(segment: Segment, spec: PlaybookSpec, *, by: User | None, published_at: datetime) -> Playbook:
    playbook = Playbook.objects.create(
        key=playbook_key(segment.slug),
        name=spec.name,
        name_en=spec.name_en,
        description=spec.description,
        description_en=spec.description_en,
        created_at=published_at,
        created_by=by,
    )
    playbook.segments.set([segment])
    steps = {key: _add_step(playbook, key, due, position) for position, (key, due) in enumerate(spec.steps)}
    for position, milestone in enumerate(_milestones(spec)):
        step_keys = milestone.pop("steps", [])
        created = Milestone.objects.create(playbook=playbook, position=position, **milestone)
        created.steps.set([steps[key] for key in step_keys])
    playbook_publish(playbook=playbook, by=by)
    _backdate(playbook, published_at)
    return playbook


def _smb_v2(v1: Playbook, *, by: User | None, published_at: datetime) -> Playbook:
    draft = playbook_new_version(playbook=v1, by=by)
    key, due = SMB_V2_STEP
    position = draft.steps.aggregate(last=Max("position"))["last"] + 1
    _add_step(draft, key, due, position)
    draft.description = v1.description + " v2: LINE 公式アカウントとの連携を追加。"
    draft.description_en = v1.description_en + " v2: adds the LINE Official Account."
    draft.save(update_fields=["description", "description_en"])
    playbook_publish(playbook=draft, by=by)
    _backdate(draft, published_at)
    return draft


def _backdate(playbook: Playbook, moment: datetime) -> None:
    # playbook_publish stamps "now"; the demo's versions were published in the past, before their journeys.
    Playbook.objects.filter(pk=playbook.pk).update(published_at=moment, created_at=moment)


# --- The accounts' histories ------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    pace: float  # 1.0: steps done around their due date
    login_rate: float  # chance of being active on a given day
    value_share: tuple[float, float]  # monthly value as a share of the investment
    stops: str = ""  # "blocked", "stalled" or "bounced": the checklist stops somewhere


PERSONAS = {
    "fast": Persona(0.45, 0.65, (0.25, 0.5)),
    "steady": Persona(0.9, 0.45, (0.1, 0.25)),
    "slow": Persona(1.6, 0.2, (0.03, 0.09)),
    "blocked": Persona(1.1, 0.3, (0.05, 0.1), stops="blocked"),
    "stalled": Persona(1.3, 0.15, (0.0, 0.0), stops="stalled"),
    "bounced": Persona(1.0, 0.3, (0.0, 0.0), stops="bounced"),
}
PERSONA_MIX = ["fast", "steady", "steady", "slow", "fast", "blocked", "steady", "stalled", "bounced", "steady", "slow"]
CHURN_PERSONAS = ["blocked", "stalled", "slow"]

BLOCK_REASONS = {
    "security-review": "情報システム部門の審査待ち(追加資料を依頼されています)",
    "sso-setup": "IdP の設定権限を持つ担当者が不在",
    "data-integration": "CRM 側の API 権限が付与されていない",
    "sender-domain": "DNS を管理する制作会社からの回答待ち",
    "invite-team": "配信担当者の採用が決まるまで保留",
    "first-campaign": "配信リストの同意取得状況を法務が確認中",
    "segment-design": "ワークショップの日程が決まらない",
}
BLOCK_REASON_BUSY = "担当者が繁忙期のため着手できていない"
BLOCK_REASON_CHURNING = "社内の優先度が下がり、予算が凍結されています"
SKIP_REASONS = ["今回の導入範囲には含めない", "既存ツールで運用中のため不要", "第2フェーズで対応予定"]
PROVIDERS = ["salesforce", "hubspot", "kintone", "shopify", "csv"]
VALUE_NOTES = [
    "メール経由の売上増加分",
    "カゴ落ちメールによる回収売上",
    "問い合わせ対応工数の削減",
    "休眠顧客の掘り起こしによる受注",
    "セミナー集客の広告費削減",
]


@dataclass
class History:
    """What one account did: events to post and value to record, collected while its steps are played."""

    account: Account
    persona: Persona
    start: datetime
    limit: datetime
    members: list[User]
    customer_admin: User
    csm: User
    events: list[dict] = field(default_factory=list)
    first_login: datetime | None = None
    first_delivery: datetime | None = None
    campaigns_from: datetime | None = None
    reports_from: datetime | None = None
    stopped_at: datetime | None = None

    def event(self, name: str, at: datetime, user: User | None = None, **properties: object) -> None:
        person = user or self.members[0]
        self.events.append(
            {
                "id": f"demo-{self.account.slug}-{len(self.events) + 1:05d}",
                "account": self.account.slug,
                "user": person.email,
                "name": name,
                "occurred_at": timezone.localtime(at, local_zone()).isoformat(),
                "properties": properties,
            }
        )


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def _step_events(history: History, step: Step, at: datetime, rng: random.Random) -> None:
    """The product events by which an event-driven step completes."""
    name = step.event_name
    if name == "login":
        history.first_login = at
        history.event("login", at, history.customer_admin)
    elif name == "member_invited":
        for n, member in enumerate(history.members[1:] or history.members):
            history.event("member_invited", at + timedelta(minutes=3 * n), history.customer_admin, invitee=member.email)
        if len(history.members) < 3:
            history.event("member_invited", at + timedelta(minutes=7), history.customer_admin, invitee="guest")
    elif name == "integration_connected":
        history.event("integration_connected", at, provider=rng.choice(PROVIDERS))
    elif name == "campaign_sent":
        history.campaigns_from = at
        if history.persona.stops == "bounced":
            history.event("campaign_sent", at, channel="email", status="bounced", recipients=rng.randint(50, 400))
        elif rng.random() < 0.25:
            # The first try bounced (unverified sender); the next one got through.
            history.event("campaign_sent", at, channel="email", status="bounced", recipients=rng.randint(50, 400))
            retry = at + _hours(rng, 20, 110)
            if retry <= history.limit:
                history.first_delivery = retry
                history.event("campaign_sent", retry, channel="email", status="delivered", recipients=120)
        else:
            history.first_delivery = at
            history.event("campaign_sent", at, channel="email", status="delivered", recipients=rng.randint(80, 2000))
    elif name == "report_viewed":
        history.reports_from = at
        history.event("report_viewed", at, report="campaign")


def _play_steps(history: History, states: list[StepState], rng: random.Random) -> None:
    """Walk the checklist in order, each step around its due date at the account's pace."""
    persona = history.persona
    stop_at = len(states) + 1
    if persona.stops in ("blocked", "stalled"):
        stop_at = rng.randint(1, max(1, len(states) - 2))
    cursor = history.start + _hours(rng, 1, 6)
    pace = persona.pace * rng.uniform(0.8, 1.25)
    for index, state in enumerate(states):
        step = state.step
        actor = history.csm if step.owner == CSM else rng.choice(history.members)
        done_at = max(
            history.start + timedelta(days=step.due_offset_days * pace) + _hours(rng, -6, 40),
            cursor + _hours(rng, 2, 30),
        )
        out_of_time = done_at > history.limit
        if persona.stops == "blocked" and (index == stop_at or out_of_time):
            blocked_at = min(cursor + _hours(rng, 24, 24 * 6), history.limit)
            churning = history.account.churned_at is not None
            reason = BLOCK_REASON_CHURNING if churning else BLOCK_REASONS.get(step.key, BLOCK_REASON_BUSY)
            step_set_status(state=state, status=Status.BLOCKED, by=history.csm, at=blocked_at, reason=reason)
            history.stopped_at = blocked_at
            return
        if index == stop_at:
            history.stopped_at = cursor  # left to do, and past due soon enough
            return
        if out_of_time:
            begun = cursor + _hours(rng, 4, 72)
            if not step.has_event_rule and begun <= history.limit and rng.random() < 0.6:
                step_set_status(state=state, status=Status.IN_PROGRESS, by=actor, at=begun)
            return
        if not step.required and rng.random() < 0.35:
            step_set_status(state=state, status=Status.SKIPPED, by=actor, at=done_at, reason=rng.choice(SKIP_REASONS))
        elif step.has_event_rule:
            _step_events(history, step, done_at, rng)
        else:
            if rng.random() < 0.5:
                begun = cursor + (done_at - cursor) * rng.uniform(0.2, 0.7)
                step_set_status(state=state, status=Status.IN_PROGRESS, by=actor, at=begun)
            step_set_status(state=state, status=Status.DONE, by=actor, at=done_at)
        cursor = done_at
        if persona.stops == "bounced" and step.event_name == "campaign_sent":
            history.stopped_at = cursor  # nothing got through: they wait for support, and the checklist stalls
            return


def _days(first: datetime, last: datetime) -> list[date]:
    zone = local_zone()
    day, end = timezone.localtime(first, zone).date(), timezone.localtime(last, zone).date()
    return [day + timedelta(days=n) for n in range((end - day).days + 1)]


def _at(day: date, rng: random.Random, earliest: datetime, latest: datetime) -> datetime | None:
    moment = datetime.combine(day, time(8), tzinfo=local_zone()) + _hours(rng, 0, 11)
    return moment if earliest < moment <= latest else None


def _usage(history: History, rng: random.Random) -> None:
    """Day-to-day use after the first login: logins (adoption), campaigns and report views."""
    if history.first_login is None:
        return  # never signed in
    rate = history.persona.login_rate
    start_day = timezone.localtime(history.start, local_zone()).date()
    for day in _days(history.first_login, history.limit):
        age = (day - start_day).days
        chance = rate * (0.6 if age > 60 else 1.0)
        if history.stopped_at is not None and datetime.combine(day, time.max, tzinfo=local_zone()) > history.stopped_at:
            chance *= 0.4
        if rng.random() >= chance:
            continue
        for person in rng.sample(history.members, k=min(len(history.members), rng.choice([1, 1, 2]))):
            moment = _at(day, rng, history.first_login, history.limit)
            if moment is not None:
                history.event("login", moment, person)
        if history.campaigns_from is not None and rng.random() < 0.15:
            moment = _at(day, rng, history.campaigns_from, history.limit)
            if moment is not None:
                status = "bounced" if history.persona.stops == "bounced" or rng.random() < 0.05 else "delivered"
                history.event("campaign_sent", moment, channel=rng.choice(["email", "email", "line"]), status=status)
        if history.reports_from is not None and rng.random() < 0.1:
            moment = _at(day, rng, history.reports_from, history.limit)
            if moment is not None:
                history.event("report_viewed", moment, report=rng.choice(["campaign", "revenue", "audience"]))


def _value(history: History, rng: random.Random) -> list[tuple[Decimal, date, str]]:
    """Monthly business value once campaigns get through."""
    low, high = history.persona.value_share
    investment = history.account.investment_amount
    if history.first_delivery is None or high <= 0 or investment <= 0:
        return []
    records: list[tuple[Decimal, date, str]] = []
    moment = history.first_delivery + timedelta(days=rng.randint(20, 35))
    while moment <= history.limit and len(records) < 12:
        amount = max(Decimal(1000), (investment * Decimal(str(rng.uniform(low, high))) / 1000).quantize(1) * 1000)
        day = timezone.localtime(moment, local_zone()).date()
        records.append((amount, day, f"{rng.choice(VALUE_NOTES)} ({day:%Y年%-m月})"))
        moment += timedelta(days=rng.randint(26, 35))
    return records


# --- Putting it together -------------------------------------------------------------


def _post_events(events: list[dict], *, by: User | None) -> None:
    if not events:
        return
    api_key = ApiToken.objects.filter(name=DEMO_API_KEY_NAME, account=None, revoked_at=None).first()
    if api_key is None:
        api_key, _raw = api_key_create(name=DEMO_API_KEY_NAME, account=None, by=by)
    for first in range(0, len(events), EVENT_BATCH):
        result = events_ingest(api_key=api_key, items=events[first : first + EVENT_BATCH])
        if result.errors:
            raise ValueError(f"demo events refused: {result.errors[:3]}")


def _counts() -> dict[str, int]:
    return {
        "playbooks": Playbook.objects.count(),
        "journeys": Journey.objects.count(),
        "step_changes": StepEvent.objects.count(),
        "events": UsageEvent.objects.count(),
        "achievements": Achievement.objects.count(),
        "value_records": ValueRecord.objects.count(),
    }


def seed_journeys(*, rng: random.Random, now: datetime) -> dict[str, int]:
    """Create the demo playbooks and every demo account's journey with its history. Returns what was added."""
    before = _counts()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    segments = {s.slug: s for s in Segment.objects.filter(slug__in=PLAYBOOKS)}
    v1_at = now - timedelta(days=400)
    v2_at = now - SMB_V2_AGE
    for slug, segment in segments.items():
        if not Playbook.objects.filter(key=playbook_key(slug)).exists():
            _playbook_v1(segment, PLAYBOOKS[slug], by=admin, published_at=v1_at)

    started = set(Journey.objects.values_list("account_id", "playbook_key"))
    accounts = [
        account
        for account in Account.objects.filter(segment__slug__in=segments)
        .select_related("segment", "csm")
        .prefetch_related("memberships__user")
        .order_by("contract_start", "pk")
        if (account.pk, playbook_key(account.segment.slug)) not in started
    ]
    personas = (PERSONA_MIX * (len(accounts) // len(PERSONA_MIX) + 1))[: len(accounts)]
    rng.shuffle(personas)

    histories: list[History] = []
    value: list[tuple[History, list[tuple[Decimal, date, str]]]] = []
    for account, persona_name in zip(accounts, personas, strict=True):
        key = playbook_key(account.segment.slug)
        if account.segment.slug == "smb" and account.contract_start >= v2_at and _latest_version(key) == 1:
            _smb_v2(Playbook.objects.get(key=key, status=Playbook.Status.PUBLISHED), by=admin, published_at=v2_at)
        playbook = Playbook.objects.get(key=key, status=Playbook.Status.PUBLISHED)
        journey = journey_start(account=account, playbook=playbook, started_at=account.contract_start)
        history = _history(account, persona_name, now=now, admin=admin, rng=rng)
        if history is None:
            continue
        states = list(journey.step_states.select_related("step").order_by("step__position", "step__id"))
        _play_steps(history, states, rng)
        _usage(history, rng)
        histories.append(history)
        value.append((history, _value(history, rng)))

    if _latest_version(playbook_key("smb")) == 1:
        smb = Playbook.objects.get(key=playbook_key("smb"), status=Playbook.Status.PUBLISHED)
        _smb_v2(smb, by=admin, published_at=v2_at)

    # Event-driven steps and milestones complete at the events' times. The demo runs in one transaction,
    # so the evaluation queued for after commit would come too late for the summary: evaluate now.
    _post_events([e for h in histories for e in sorted(h.events, key=lambda e: e["occurred_at"])], by=admin)
    accounts_evaluate(account_ids=[h.account.pk for h in histories])
    for history, records in value:
        for amount, day, note in records:
            value_record_create(
                account=history.account, amount=amount, occurred_on=day, note=note, by=history.customer_admin
            )

    after = _counts()
    return {name: after[name] - before[name] for name in after}


def _latest_version(key: str) -> int:
    return Playbook.objects.filter(key=key).aggregate(v=Max("version"))["v"] or 0


def _history(
    account: Account, persona_name: str, *, now: datetime, admin: User | None, rng: random.Random
) -> History | None:
    memberships = sorted(account.memberships.all(), key=lambda m: (not m.is_admin, m.user.email))
    csm = account.csm or admin
    if not memberships or csm is None:
        return None
    limit = now - timedelta(hours=1)
    if account.churned_at is not None:
        persona_name = rng.choice(CHURN_PERSONAS)
        limit = min(limit, account.churned_at - timedelta(hours=2))
    if limit <= account.contract_start:
        return None
    admins = [m.user for m in memberships if m.role == Membership.Role.ADMIN]
    return History(
        account=account,
        persona=PERSONAS[persona_name],
        start=account.contract_start,
        limit=limit,
        members=[m.user for m in memberships],
        customer_admin=admins[0] if admins else memberships[0].user,
        csm=csm,
    )


# --- The CS managers' workspace: success plans, notes, risk -----------------------------------

GOALS = [
    # title, how we know, days after the contract start (the demo customers are Japanese companies)
    ("最初のキャンペーンを配信する", "配信レポートに1件以上の配信", 14),
    ("開封率20%以上を達成する", "月次レポートの平均開封率", 45),
    ("手作業のレポート作成を月10時間削減する", "お客様の担当者への確認", 90),
]
NOTES = [
    "キックオフ実施。IT部門の DNS 設定に1週間ほどかかる見込み。",
    "先方の担当者が来月から育休。後任の方をメンバーに招待してもらう。",
    "CSV のインポートでエラー。列名の揃え方をチュートリアルで案内済み。",
]


def seed_workspace(*, rng: random.Random, now: datetime) -> dict[str, int]:
    """Success plans and a few notes for the demo accounts that have none, then every account's risk."""
    from journeys.automation.services.risk import risk_evaluate
    from journeys.workspace.models import AccountNote, SuccessGoal

    goals = notes = 0
    for account in Account.objects.exclude(csm=None).filter(success_goals=None).order_by("pk"):
        start = timezone.localdate(account.contract_start)
        for position, (title, measure, days) in enumerate(GOALS):
            target = start + timedelta(days=days)
            status = SuccessGoal.Status.OPEN
            if target < timezone.localdate(now):
                status = SuccessGoal.Status.MET if rng.random() < 0.7 else SuccessGoal.Status.MISSED
            SuccessGoal.objects.create(
                account=account, title=title, measure=measure, target_on=target, status=status, position=position,
                created_by=account.csm, created_at=account.contract_start,
                closed_at=None if status == SuccessGoal.Status.OPEN else now,
            )  # fmt: skip
            goals += 1
        if rng.random() < 0.5:
            AccountNote.objects.create(
                account=account, author=account.csm, body=rng.choice(NOTES),
                created_at=min(now, account.contract_start + timedelta(days=rng.randint(1, 20))),
            )  # fmt: skip
            notes += 1
    evaluated = risk_evaluate(now=now).evaluated
    return {"goals": goals, "notes": notes, "risks": evaluated}


def steps_by_account() -> dict[int, list[tuple[str, str]]]:
    """For each demo account, the (playbook key, step key) of its journeys' steps: what its people
    ask support about."""
    found: dict[int, list[tuple[str, str]]] = {}
    for account_id, playbook_key, step_key in StepState.objects.values_list(
        "journey__account_id", "journey__playbook_key", "step_key"
    ).order_by("journey__account_id", "pk"):
        found.setdefault(account_id, []).append((playbook_key, step_key))
    return found
