"""The demo help centre's content: categories, tags and articles for the demo product, a B2B
e-mail marketing service. Tutorials walk a customer through one onboarding step each, with the
steps where demo accounts stall (DNS, CRM permissions, security review, SSO, consent, bounces)
covered most carefully; FAQ entries answer what customers would otherwise write to support about.

Japanese is the original; an English text beside it becomes a translation linked to it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from textwrap import dedent

TUTORIAL, FAQ = "tutorial", "faq"
PUBLIC, CUSTOMERS, SEGMENTS = "public", "customers", "segments"


BLOCK_START = re.compile(r"^\s*(?:[-*+] |\d+\. |#|>|```|\|)")


def md(text: str) -> str:
    """A body written indented and wrapped in this file, as the markdown an admin would have typed: a
    paragraph or list item on one line. A line break inside Japanese text would show as a space."""
    lines: list[str] = []
    fenced = False
    for line in dedent(text).strip().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        previous = lines[-1] if lines else ""
        quoted = line.startswith("> ") and previous.startswith("> ") and previous.strip() != ">"
        joins = not BLOCK_START.match(line) and line.strip() and previous.strip() and not previous.startswith("#")
        if not fenced and not line.startswith("```") and (joins or quoted):
            tail = line[2:] if quoted else line.strip()
            space = " " if previous[-1].isascii() and tail[0].isascii() else ""
            lines[-1] = previous + space + tail
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DemoCategory:
    slug: str
    parent: str | None
    name: str
    name_en: str
    position: int
    description: str = ""
    description_en: str = ""


@dataclass(frozen=True)
class Text:
    """One language's version of an article."""

    title: str
    summary: str
    body: str
    video_url: str = ""  # videos are narrated in one language, so each version has its own (or none)


def answer(question: str, body: str) -> Text:
    """A FAQ entry's text: the question is the title, the body the answer; no summary."""
    return Text(question, "", body)


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    category: str
    kind: str
    visibility: str
    ja: Text | None = None
    en: Text | None = None
    steps: list[str] = field(default_factory=list)  # step keys, linked in every demo playbook that has them
    segments: list[str] = field(default_factory=list)  # segment slugs, for visibility "segments"
    tags: list[str] = field(default_factory=list)  # tag slugs
    draft: bool = False


CATEGORIES = [
    DemoCategory(
        "getting-started",
        None,
        "はじめに",
        "Getting started",
        10,
        "導入の進め方、初回ログイン、チームの招待まで。最初に読むページです。",
        "How onboarding works, your first sign-in and inviting your team. Start here.",
    ),
    DemoCategory(
        "data",
        None,
        "データ連携",
        "Data integration",
        20,
        "連絡先や購買データを取り込む方法。CSV、CRM・EC 連携、API。",
        "Getting contacts and purchase data in: CSV, CRM and e-commerce connectors, the API.",
    ),
    DemoCategory("csv-import", "data", "CSV インポート", "CSV import", 10),
    DemoCategory("integrations", "data", "CRM・EC 連携", "CRM and e-commerce connectors", 20),
    DemoCategory("api", "data", "API", "API", 30),
    DemoCategory(
        "sending",
        None,
        "配信",
        "Sending",
        30,
        "セグメント、テンプレート、キャンペーン配信、シナリオ配信、LINE 配信。",
        "Segments, templates, campaigns, automated scenarios and LINE messages.",
    ),
    DemoCategory("audience", "sending", "セグメントと配信リスト", "Segments and lists", 10),
    DemoCategory("templates", "sending", "テンプレート", "Templates", 20),
    DemoCategory(
        "deliverability",
        "sending",
        "到達率とドメイン認証",
        "Deliverability and domain authentication",
        30,
        "SPF・DKIM・DMARC の設定と、バウンス(不達)への対処。",
        "SPF, DKIM and DMARC, and what to do about bounces.",
    ),
    DemoCategory("automation", "sending", "シナリオ配信と LINE", "Automation and LINE", 40),
    DemoCategory(
        "reports",
        None,
        "効果測定とレポート",
        "Reports and results",
        40,
        "開封率・クリック率・コンバージョンの見方と、成果の振り返り方。",
        "Reading open, click and conversion rates, and reviewing results.",
    ),
    DemoCategory(
        "account",
        None,
        "アカウントとセキュリティ",
        "Account and security",
        50,
        "ログイン、パスワード、セキュリティ審査、シングルサインオン (SSO)。",
        "Signing in, passwords, security reviews and single sign-on (SSO).",
    ),
    DemoCategory("security", "account", "セキュリティ審査と SSO", "Security review and SSO", 10),
    DemoCategory(
        "billing",
        None,
        "ご契約と請求",
        "Plans and billing",
        60,
        "プラン、請求書、お支払い方法について(ログインが必要です)。",
        "Plans, invoices and payment (for signed-in customers).",
    ),
]

TAGS = [
    # slug, name
    ("beginner", "はじめての方"),
    ("admin", "管理者向け"),
    ("csv", "CSV"),
    ("dns", "DNS"),
    ("deliverability", "到達率"),
    ("compliance", "法令・同意"),
    ("security", "セキュリティ"),
    ("sso", "SSO"),
    ("api", "API"),
    ("template", "テンプレート"),
    ("reports", "レポート"),
    ("billing", "請求"),
    ("troubleshooting", "トラブルシューティング"),
]

GETTING_STARTED = [
    DemoArticle(
        "getting-started-guide",
        "getting-started",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "はじめての方へ:最初の配信までの30日ガイド",
            "契約から最初のキャンペーンで反応が返ってくるまでを、5つの段階に分けて説明します。",
            md(
                """
                ご契約ありがとうございます。このガイドは、**最初のキャンペーンを配信して開封やクリックが
                返ってくるまで**を最短で進めるための全体像です。細かな操作は各ステップのチュートリアルに
                リンクしています。

                ## 前提条件

                - 招待メールを受け取った管理者の方が1名いること
                - 配信に使うドメイン(例: `example.co.jp`)の DNS を誰が管理しているか分かっていること
                - 最初に届けたい相手のリスト(CSV または CRM)があること

                ## 進め方

                1. **初回ログイン**: 招待メールのリンクから管理者アカウントを作成します(所要5分)。
                2. **データを入れる**: CSV インポートか CRM 連携で連絡先を取り込みます。まずは CSV で
                   始め、連携は後からでも構いません。
                3. **送信ドメイン認証**: SPF と DKIM を設定します。DNS の反映に最大48時間かかるため、
                   **2の作業と並行して最初の週に依頼**しておくのがコツです。
                4. **テンプレートと最初の配信**: テンプレートを1つ作り、反応が見込める小さなセグメントに
                   配信します。
                5. **レポートの確認**: 開封率・クリック率を見て、次の配信で変えることを1つ決めます。

                ## うまく進んでいるかの確認

                ホーム画面のオンボーディング・チェックリストで、完了したステップに緑のチェックが付きます。
                ログインや配信など、操作すると自動で完了するステップもあります。

                ## よくあるつまずき

                - **DNS の依頼が遅れる**: 制作会社や情報システム部門が DNS を管理している場合、回答待ちで
                  1〜2週間止まることがよくあります。最初の週に依頼してください。
                - **全件に一斉配信してしまう**: 最初は小さなセグメントで試し、結果を見てから広げましょう。
                - **ひとりで抱え込む**: チームメンバーを2名以上招待すると、立ち上がりが早くなります。

                困ったときは、各ステップの下にある「まだ解決しませんか?ヘルプセンターを検索」を押すか、
                担当 CSM にご連絡ください。
                """
            ),
            video_url="https://www.youtube.com/watch?v=KachiDemo01",
        ),
        en=Text(
            "New here? Your first 30 days, up to the first campaign",
            "From contract to the first campaign that gets opens and clicks, in five stages.",
            md(
                """
                Welcome aboard. This guide is the big picture of getting from your contract to **your first
                campaign with real opens and clicks** as quickly as possible. Each stage links to a tutorial
                with the details.

                ## Before you start

                - One administrator who has received the invitation e-mail
                - You know who manages the DNS of the domain you will send from (e.g. `example.com`)
                - A first list of people to reach, as a CSV file or in your CRM

                ## The five stages

                1. **First sign-in**: create the administrator account from the invitation link (5 minutes).
                2. **Bring your data in**: import contacts from a CSV file or connect your CRM. Starting with
                   CSV is fine; you can connect the CRM later.
                3. **Authenticate your sender domain**: set up SPF and DKIM. DNS changes can take up to
                   48 hours, so **ask for them in your first week**, while you work on stage 2.
                4. **Template and first campaign**: build one template and send to a small segment that is
                   likely to respond.
                5. **Read the report**: look at open and click rates and pick one thing to change next time.

                ## How to tell it is working

                The onboarding checklist on your home page ticks each step off. Some steps, such as signing in
                or sending a campaign, complete by themselves when you do them.

                ## Common mistakes

                - **The DNS request comes late**: when an agency or your IT team manages DNS, waiting for them
                  often costs one or two weeks. Ask in week one.
                - **Sending to everyone at once**: try a small segment first and widen after you see results.
                - **Doing it alone**: invite at least two colleagues; teams get going faster.

                Stuck? Use "Still stuck? Search the help centre" under any step, or contact your CSM.
                """
            ),
            video_url="https://vimeo.com/900000101",
        ),
        steps=["admin-account"],
        tags=["beginner"],
    ),
    DemoArticle(
        "kickoff-preparation",
        "getting-started",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "キックオフミーティングの準備:成功の定義と KPI を決める",
            "60分のキックオフを実りあるものにするために、事前に決めておきたい3つのことです。",
            md(
                """
                キックオフは、担当 CSM と「何ができたら導入成功か」をすり合わせる場です。ここで決めた
                指標が、成果レビュー会での振り返りの基準になります。

                ## 事前に準備すること

                - 導入の目的(例: メール経由の売上を増やす、休眠顧客を掘り起こす、問い合わせを減らす)
                - 現在の数字(月間の配信数、開封率、メール経由の売上など。分かる範囲で構いません)
                - 社内の関係者(配信担当、DNS の管理者、情報システム部門、法務)の名前

                ## 当日の進め方

                1. 目的を1〜2文で共有します。
                2. 目的を測る **KPI と目標値** を決めます(例: 90日以内にメール経由売上 月50万円)。
                3. 最初の配信日を決め、そこから逆算して DNS・データ連携の担当者と期限を決めます。
                4. 次回の打ち合わせ日を決めます。

                ## 決まったことの確認

                キックオフ後、CSM がオンボーディング・チェックリストに議事録を残します。KPI と目標値、
                各ステップの担当者が書かれていれば準備完了です。

                ## よくあるつまずき

                - **KPI が「使いこなす」など測れない言葉になる**: 数字と期限で書ける形にしましょう。
                - **DNS や法務の担当者が出席していない**: 後工程で止まる原因になります。名前だけでも
                  確認しておきましょう。
                """
            ),
        ),
        en=Text(
            "Preparing for the kickoff meeting: agree what success means",
            "Three things to settle before the 60-minute kickoff so that it moves you forward.",
            md(
                """
                At the kickoff you and your CSM agree on what a successful rollout looks like. The measures you
                choose here are what the results review looks back on.

                ## What to prepare

                - Why you bought the service (e.g. more revenue from e-mail, win back dormant customers)
                - Today's numbers, as far as you know them: e-mails sent per month, open rate, revenue from e-mail
                - The people involved: who sends, who manages DNS, IT security, legal

                ## During the meeting

                1. State the goal in one or two sentences.
                2. Choose **a KPI and a target** (e.g. ¥500,000 a month of e-mail revenue within 90 days).
                3. Set the date of the first campaign and work back from it: who does DNS and data, by when.
                4. Book the next meeting.

                ## How to check you are ready

                Your CSM records the notes on the onboarding checklist. When they list the KPI, its target and an
                owner for every step, you are ready.

                ## Common mistakes

                - **A KPI you cannot measure**, such as "use it well": write it as a number and a date.
                - **Nobody from DNS or legal is involved**: these are the steps that stall later. At least know
                  their names.
                """
            ),
        ),
        steps=["kickoff"],
        tags=["beginner"],
    ),
    DemoArticle(
        "admin-account-first-login",
        "getting-started",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "管理者アカウントを作成して初回ログインする",
            "招待メールからアカウントを作成し、ログインできるまでの手順です。所要時間は約5分です。",
            md(
                """
                ## 前提条件

                - 「アカウントのご案内」という件名の招待メールを受け取っていること
                - 招待メールは **7日間有効** です。期限が切れた場合は担当 CSM に再送を依頼してください

                ## 手順

                1. 招待メールの「アカウントを作成する」ボタンを押します。
                2. 氏名とパスワード(12文字以上)を入力します。
                3. 利用規約を確認して「作成する」を押すと、そのままログインした状態になります。
                4. 右上のメニュー → プロフィールで、表示言語(日本語 / English)を選びます。

                ## 確認方法

                ホーム画面にオンボーディング・チェックリストが表示され、「管理者アカウントの作成」に
                緑のチェックが付いていれば完了です。初回ログインで自動的に完了します。

                ## よくあるつまずき

                - **招待メールが見つからない**: 迷惑メールフォルダや、メールセキュリティ製品の隔離を
                  確認してください。詳しくは「招待メールが届かない場合は?」をご覧ください。
                - **リンクを別の人に転送した**: 招待は宛先のメールアドレスに紐づきます。転送先の方は
                  別途招待してください。
                - **ブックマークしたのはログイン画面ではなく招待リンク**: 2回目以降はログイン画面から
                  メールアドレスとパスワードでログインします。
                """
            ),
        ),
        en=Text(
            "Create your administrator account and sign in for the first time",
            "From the invitation e-mail to your first sign-in, in about five minutes.",
            md(
                """
                ## Before you start

                - You have the invitation e-mail ("Your account")
                - Invitations are **valid for 7 days**. If yours has expired, ask your CSM to send a new one

                ## Steps

                1. Click "Create your account" in the invitation e-mail.
                2. Enter your name and a password of at least 12 characters.
                3. Accept the terms and click "Create": you are signed in straight away.
                4. Under your name (top right) → Profile, choose your language (日本語 / English).

                ## How to check it worked

                Your home page shows the onboarding checklist, and the administrator account step has a green
                tick. Your first sign-in completes it automatically.

                ## Common mistakes

                - **No invitation in the inbox**: look in spam and in your e-mail security quarantine. See "The
                  invitation e-mail never arrived".
                - **Forwarding the link to a colleague**: an invitation belongs to the address it was sent to.
                  Invite your colleague separately.
                - **Bookmarking the invitation link**: from then on, sign in on the sign-in page with your
                  e-mail address and password.
                """
            ),
        ),
        steps=["admin-account"],
        tags=["beginner", "admin"],
    ),
    DemoArticle(
        "invite-team-roles",
        "getting-started",
        TUTORIAL,
        CUSTOMERS,
        ja=Text(
            "チームメンバーを招待して権限を割り当てる",
            "配信担当とレポート閲覧者を招待し、必要な権限だけを渡す手順です。",
            md(
                """
                一人で運用するより、配信を作る人・確認する人・結果を見る人が分かれているほうが、最初の成果
                までが早くなります。まずは **2名以上** の招待を目標にしましょう。

                ## 前提条件

                - 管理者としてログインしていること(メンバーは招待できません)
                - 招待する方の業務用メールアドレス

                ## 手順

                1. 設定 → チーム を開き、「メンバーを招待」を押します。
                2. メールアドレスを入力し、権限を選びます。
                   - **管理者**: 招待、設定、請求情報の確認ができます
                   - **メンバー**: 配信の作成、レポートの閲覧ができます
                3. 必要なら、オンボーディングのステップをその方に割り当てます(例: DNS 担当に
                   「送信ドメイン認証」)。
                4. 「招待を送る」を押します。招待リンクの有効期限は7日間です。

                ## 確認方法

                チーム画面で状態が「招待中」から「参加済み」に変わります。2名を招待すると、チェックリストの
                「チームメンバーの招待」が自動で完了します。

                ## よくあるつまずき

                - **全員を管理者にする**: 請求情報や API キーまで見えてしまいます。配信担当はメンバーで十分です。
                - **共有アドレス(info@ など)で招待する**: 誰が操作したか分からなくなります。個人のアドレスで
                  招待してください。
                - **招待が届かない**: 「招待メールが届かない場合は?」をご覧ください。
                """
            ),
        ),
        en=Text(
            "Invite your team and choose their roles",
            "Invite the people who send and those who read reports, with only the rights they need.",
            md(
                """
                Teams where someone builds the campaign, someone checks it and someone reads the results get to
                their first success sooner than one person alone. Aim to invite **at least two** colleagues.

                ## Before you start

                - You are signed in as an administrator (members cannot invite)
                - Your colleagues' work e-mail addresses

                ## Steps

                1. Open Settings → Team and click "Invite a member".
                2. Enter the address and choose a role:
                   - **Administrator**: invites, settings, billing
                   - **Member**: creates campaigns, reads reports
                3. If useful, assign them an onboarding step (e.g. the sender domain step to whoever manages
                   DNS).
                4. Click "Send invitation". The link is valid for 7 days.

                ## How to check it worked

                On the Team page their status changes from "Invited" to "Joined". Once two people have been
                invited, the checklist step for inviting your team completes by itself.

                ## Common mistakes

                - **Making everyone an administrator**: they would see billing and API keys. Senders need the
                  member role only.
                - **Inviting a shared mailbox** such as info@: you lose track of who did what.
                - **The invitation does not arrive**: see "The invitation e-mail never arrived".
                """
            ),
        ),
        steps=["invite-team"],
        tags=["admin"],
    ),
    DemoArticle(
        "invite-team",
        "getting-started",
        FAQ,
        PUBLIC,
        ja=answer(
            "チームメンバーを招待するには?",
            md(
                """
                管理者の方が 設定 → チーム の「メンバーを招待」から、メールアドレスと権限を入力して招待します。
                招待リンクの有効期限は7日間で、期限が切れた場合は同じ画面から再送できます。配信を作る方には
                「メンバー」、請求や設定も扱う方には「管理者」の権限がおすすめです。詳しい手順は
                「チームメンバーを招待して権限を割り当てる」をご覧ください。
                """
            ),
        ),
        steps=["invite-team"],
    ),
    DemoArticle(
        "invitation-email-not-received",
        "getting-started",
        FAQ,
        PUBLIC,
        ja=answer(
            "招待メールが届かない場合は?",
            md(
                """
                次の順に確認してください。

                - 迷惑メールフォルダ、またはメールセキュリティ製品の隔離フォルダに入っていないか
                - 招待したメールアドレスに入力ミスがないか(チーム画面で確認できます)
                - 招待から7日以上たって期限切れになっていないか

                届いていない場合は、管理者の方がチーム画面の「招待を再送」を押してください。社内のメール
                サーバーで外部からのメールが制限されている場合は、`kachi.example` からの受信を許可するよう
                情報システム部門にご依頼ください。
                """
            ),
        ),
        en=answer(
            "The invitation e-mail never arrived. What should I check?",
            md(
                """
                Check, in this order:

                - Your spam folder, or your e-mail security product's quarantine
                - A typo in the invited address (visible on the Team page)
                - Whether more than 7 days have passed and the invitation has expired

                If it still is not there, an administrator can click "Resend invitation" on the Team page. If your
                mail server restricts outside senders, ask your IT team to allow mail from `kachi.example`.
                """
            ),
        ),
        tags=["troubleshooting"],
    ),
    DemoArticle(
        "admin-training",
        "getting-started",
        TUTORIAL,
        CUSTOMERS,
        ja=Text(
            "管理者向けトレーニングを受講する(録画あり)",
            "約60分のオンライン講座の申し込み方、当日の準備、録画の共有方法です。",
            md(
                """
                管理者向けトレーニングでは、配信設定・権限管理・レポートの見方を60分で一通り体験します。
                受講した企業は、そうでない企業より最初の配信までの日数が短い傾向があります。

                ## 前提条件

                - 管理者アカウントでログインできること
                - 受講する方の PC(スマートフォンでは操作の練習ができません)

                ## 手順

                1. オンボーディング・チェックリストの「管理者向けトレーニングの受講」を開きます。
                2. 担当 CSM から届く日程候補から、参加しやすい回を選びます。
                3. 当日は、練習用に **テスト用のセグメント**(自分と同僚だけのリスト)を用意しておくと、
                   講座中にそのままテスト配信まで試せます。
                4. 受講後、このページの動画(録画版)を参加できなかった方に共有してください。

                ## 確認方法

                受講後に CSM がステップを完了にします。講座で作ったテスト用セグメントとテンプレートは、
                そのまま本番の準備に使えます。

                ## よくあるつまずき

                - **見るだけで終わる**: 手を動かす回です。テスト用のセグメントがあると効果が上がります。
                - **録画を共有しない**: 後から加わったメンバーが同じ質問をすることになります。録画と
                  このヘルプセンターのリンクを社内で共有しておきましょう。
                """
            ),
            video_url="https://www.youtube.com/watch?v=KachiDemo02",
        ),
        en=Text(
            "Take the administrator training (recording available)",
            "How to book the 60-minute online course, what to prepare, and how to share the recording.",
            md(
                """
                The administrator training walks you through sending settings, roles and reports in 60 minutes.
                Companies that take it tend to reach their first campaign sooner than those that do not.

                ## Before you start

                - You can sign in with your administrator account
                - A computer for each participant (you cannot practise on a phone)

                ## Steps

                1. Open "Administrator training" on your onboarding checklist.
                2. Pick one of the dates your CSM offers.
                3. Prepare **a test segment** (just you and a few colleagues) so you can send a real test during
                   the course.
                4. Afterwards, share the recording with everyone who could not attend.

                ## How to check it worked

                Your CSM completes the step after the course. The test segment and template you built are ready
                to reuse for your first real campaign.

                ## Common mistakes

                - **Only watching**: the course is hands-on; a test segment makes it worth much more.
                - **Not sharing the recording**: people who join later ask the same questions. Share the recording
                  and a link to this help centre inside your company.
                """
            ),
        ),
        steps=["training"],
        tags=["admin"],
    ),
]

DATA = [
    DemoArticle(
        "csv-import",
        "csv-import",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "CSV で連絡先をインポートする",
            "Excel やスプレッドシートの顧客リストを CSV で取り込む手順です。CRM 連携の前でもすぐに始められます。",
            md(
                """
                CRM 連携の準備に時間がかかる場合も、CSV インポートなら今日から配信を始められます。
                連携を設定した後も、展示会の名刺リストなどの追加に使えます。

                ## 前提条件

                - 1行目が見出し行の CSV ファイル(文字コードは **UTF-8**、10万行まで)
                - 必須の列は `email` だけです。`name`、`company`、`last_purchase_date` などは任意です
                - **配信への同意を得た方だけ** が含まれていること(「配信リストの同意取得状況を確認する」参照)

                ## 手順

                1. 連絡先 → インポート を開き、「CSV をアップロード」を押します。
                2. ファイルを選ぶと、最初の5行がプレビューされます。文字化けしていないか確認します。
                3. 列の対応付けをします。`email` 列は自動で認識されます。それ以外の列は既存の項目を選ぶか、
                   「新しい項目を作る」を選びます。
                4. 同じメールアドレスがすでにある場合の扱い(上書き / スキップ)を選びます。
                5. 取り込み先のリスト名(例: `2026年 展示会来場者`)を付けて「インポート」を押します。

                ## 確認方法

                完了するとメールで件数が届きます。「取り込み件数 + スキップ件数 + エラー件数」が CSV の
                行数と一致しているか確認してください。エラーになった行は、理由付きの CSV でダウンロード
                できます。

                ## よくあるつまずき

                - **Excel で保存した CSV が文字化けする**: 「CSV UTF-8(コンマ区切り)」で保存し直してください。
                - **日付の形式がばらばら**: `2026-04-01` の形式にそろえると、セグメント条件で使えます。
                - **配信停止した方を含めてしまう**: 配信停止済みのアドレスはインポートしても配信対象に
                  戻りません。安心してそのまま取り込めます。
                """
            ),
            video_url="https://www.youtube.com/watch?v=KachiDemo03",
        ),
        en=Text(
            "Import contacts from a CSV file",
            "Bring in a customer list from Excel or a spreadsheet. You can start before connecting your CRM.",
            md(
                """
                If connecting your CRM takes a while, a CSV import lets you start sending today. After the CRM is
                connected, it is still the quickest way to add, say, the contacts from a trade show.

                ## Before you start

                - A CSV file with a header row, encoded in **UTF-8**, up to 100,000 rows
                - Only the `email` column is required; `name`, `company`, `last_purchase_date` and so on are
                  optional
                - **Only people who agreed to receive e-mail** (see "Check consent before you send")

                ## Steps

                1. Open Contacts → Import and click "Upload a CSV".
                2. Choose the file: the first five rows are previewed. Check that the characters look right.
                3. Map the columns. `email` is recognised automatically; map the others to existing fields or
                   choose "Create a field".
                4. Choose what happens when an address already exists: update it or skip it.
                5. Name the list the contacts go into (e.g. `2026 trade show visitors`) and click "Import".

                ## How to check it worked

                You receive an e-mail with the counts when the import finishes. Imported + skipped + failed should
                equal the number of rows in the file. Failed rows can be downloaded as a CSV with the reason.

                ## Common mistakes

                - **Garbled Japanese from Excel**: save again as "CSV UTF-8 (Comma delimited)".
                - **Dates in mixed formats**: use `2026-04-01` so segments can filter on them.
                - **Worrying about unsubscribed contacts**: an address that unsubscribed stays unsubscribed, even
                  if it is in the file.
                """
            ),
        ),
        steps=["data-integration"],
        tags=["csv", "beginner"],
    ),
    DemoArticle(
        "csv-import-errors",
        "csv-import",
        FAQ,
        PUBLIC,
        ja=answer(
            "CSV インポートで文字化けやエラーが出るのはなぜ?",
            md(
                """
                多くの場合、原因は次のどれかです。

                - **文字化け**: ファイルが Shift_JIS で保存されています。Excel では「CSV UTF-8(コンマ区切り)」
                  で保存し直してください。
                - **「email が不正です」**: 全角の `@` や、前後の空白が含まれています。
                - **「必須の列がありません」**: 1行目が見出し行になっていないか、`email` 列の対応付けが
                  外れています。

                エラーになった行はインポート結果の画面から理由付きの CSV でダウンロードできるので、直して
                その行だけ取り込み直せます。
                """
            ),
        ),
        en=answer(
            "Why does my CSV import show garbled text or errors?",
            md(
                """
                It is almost always one of these:

                - **Garbled text**: the file is in Shift_JIS. In Excel, save it as "CSV UTF-8 (Comma delimited)".
                - **"Invalid email"**: a full-width at sign or spaces around the address.
                - **"Required column missing"**: the first row is not the header row, or `email` is not mapped.

                The import result lets you download the failed rows with their reason, so you can fix them and
                import just those rows again.
                """
            ),
        ),
        tags=["csv", "troubleshooting"],
    ),
    DemoArticle(
        "crm-integration",
        "integrations",
        TUTORIAL,
        SEGMENTS,
        ja=Text(
            "CRM と顧客データを連携する",
            "Salesforce・HubSpot・kintone の顧客データを自動で取り込みます。API 権限の準備が最大の山場です。",
            md(
                """
                CRM と連携すると、顧客データが1時間ごとに自動で同期され、CSV を作り直す手間がなくなります。
                連携が止まる原因のほとんどは **CRM 側の API 権限** なので、最初に確認しておきましょう。

                ## 連携の前に

                - CRM の管理者に、連携用ユーザーの作成を依頼します。このユーザーには次の権限が必要です。
                  - Salesforce: 「API の有効化」と、取引先責任者・リードの参照権限
                  - HubSpot: プライベートアプリの `crm.objects.contacts.read` スコープ
                  - kintone: 顧客アプリの「レコード閲覧」と API トークン
                - 項目の対応表(メールアドレス、氏名、会社名、最終購入日など)を用意します。

                ## 接続する

                1. 設定 → データ連携 を開き、CRM を選びます。
                2. 連携用ユーザーでログインし、アクセスを許可します(kintone は API トークンを貼り付けます)。
                3. 項目の対応付けを確認し、「同期を開始」を押します。

                ## 同期を確認する

                初回同期が終わると件数が表示されます。CRM 側の件数(配信対象の条件で絞ったもの)と一致するか
                確認しましょう。連携が確認できると、チェックリストの「データ連携の設定」が自動で完了します。

                ## よくあるつまずき

                - **「API 権限がありません」と表示される**: 連携用ユーザーに上記の権限が付いていません。
                  CRM の管理者に、このページの「連携の前に」をそのまま送ってください。
                - **件数が合わない**: メールアドレスが空のレコードは取り込まれません。
                - **担当者の退職で同期が止まる**: 個人ではなく連携専用のユーザーを使いましょう。
                """
            ),
        ),
        steps=["data-integration"],
        segments=["mid-market", "enterprise"],
        tags=["admin"],
    ),
    DemoArticle(
        "crm-api-permission-error",
        "integrations",
        FAQ,
        PUBLIC,
        ja=answer(
            "CRM 連携で「API 権限がありません」と表示されるのはなぜ?",
            md(
                """
                接続に使った CRM のユーザーに、API でデータを読む権限がないためです。Salesforce では
                プロファイルの「API の有効化」、HubSpot ではプライベートアプリの `crm.objects.contacts.read`
                スコープ、kintone では API トークンの「レコード閲覧」が必要です。CRM の管理者に権限の追加を
                依頼し、設定 → データ連携 の「再接続」を押してください。権限の付与を待つ間は、CSV インポート
                で配信の準備を進められます。
                """
            ),
        ),
        en=answer(
            'The CRM connection says "no API permission". Why?',
            md(
                """
                The CRM user you connected with is not allowed to read data through the API. Salesforce needs
                "API Enabled" on the user's profile, HubSpot a private app with the `crm.objects.contacts.read`
                scope, and kintone an API token with "View records". Ask your CRM administrator to add it, then
                click "Reconnect" under Settings → Data integration. While you wait, a CSV import lets you keep
                preparing your first campaign.
                """
            ),
        ),
        steps=["data-integration"],
        tags=["troubleshooting", "admin"],
    ),
    DemoArticle(
        "shopify-integration",
        "integrations",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "Shopify のストアと連携して購入データを取り込む",
            "Shopify の顧客と注文を同期して、購入履歴でセグメントを作れるようにします。",
            md(
                """
                Shopify と連携すると、顧客と注文が自動で同期され、「直近90日の購入者」や「2回以上購入した方」
                といったセグメントがすぐに作れます。カゴ落ちメールにも必要な設定です。

                ## 前提条件

                - Shopify ストアのオーナー、またはアプリを追加できるスタッフ権限
                - 顧客の「マーケティングメールの受信への同意」を Shopify で管理していること

                ## 手順

                1. 設定 → データ連携 で「Shopify」を選び、ストアの URL(`xxxx.myshopify.com`)を入力します。
                2. Shopify の画面に切り替わるので、アプリのインストールを承認します。
                3. 同期する範囲を選びます。初回は過去2年分の注文をおすすめします。
                4. 「同期を開始」を押します。注文件数によっては数時間かかります。

                ## 確認方法

                連絡先の一覧で、購入回数や最終購入日の列に値が入っていれば同期できています。Shopify で
                マーケティングメールに同意していない顧客は、配信対象外として取り込まれます。

                ## よくあるつまずき

                - **スタッフ権限でアプリを追加できない**: ストアのオーナーに承認を依頼してください。
                - **同意していない顧客にも送りたい**: 法令上、同意のない方への広告メールは送れません。
                  購入手続きの画面で同意を取る設定を Shopify 側で見直しましょう。
                """
            ),
        ),
        steps=["data-integration"],
        tags=["beginner"],
    ),
    DemoArticle(
        "api-keys-events",
        "api",
        TUTORIAL,
        CUSTOMERS,
        ja=Text(
            "API キーを発行して購買イベントを送信する",
            "自社システムから購入や会員登録のイベントを送り、シナリオ配信のきっかけにする手順です。",
            md(
                """
                CRM や Shopify 以外のシステム(自社 EC、予約システムなど)からは、API でイベントを送って
                連携します。イベントは、シナリオ配信の開始条件やセグメントの条件に使えます。

                ## 前提条件

                - 管理者権限(API キーは管理者だけが発行できます)
                - サーバーから HTTPS でリクエストを送れる開発環境

                ## 手順

                1. 設定 → API キー で「キーを発行」を押し、用途の分かる名前(例: `自社EC 本番`)を付けます。
                2. 表示されたキーをコピーします。**キーはこの画面でしか表示されません**。
                   パスワード管理ツールなどに保管してください。
                3. サーバーから次のようにイベントを送ります。

                ```
                curl -X POST https://api.kachi.example/v1/events \\
                  -H "Authorization: Bearer <API キー>" \\
                  -H "Content-Type: application/json" \\
                  -d '{"id": "order-10001", "email": "taro@example.jp", "name": "purchase",
                       "occurred_at": "2026-04-01T10:00:00+09:00", "properties": {"amount": 5800}}'
                ```

                4. `id` には注文番号など一意の値を入れます。同じ `id` を再送しても二重に数えられません。

                ## 確認方法

                設定 → API キー の「最近のイベント」に、送ったイベントが表示されます。エラーになった場合は
                理由がレスポンスに含まれます。

                ## よくあるつまずき

                - **キーをブラウザの JavaScript に埋め込む**: 誰でも読めてしまいます。必ずサーバーから送ります。
                - **時刻にタイムゾーンがない**: `+09:00` まで付けてください。
                - **キーが漏れた**: すぐに「無効化」して新しいキーを発行してください。
                """
            ),
        ),
        steps=["data-integration"],
        tags=["api", "admin"],
    ),
]

SENDING = [
    DemoArticle(
        "segment-design",
        "audience",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "最初に届ける相手を決める:セグメント設計のワークショップ準備",
            "最初のキャンペーンの配信先を、反応が見込める小さなセグメントに絞るための考え方と手順です。",
            md(
                """
                最初の配信で成果を出す一番の近道は、**反応してくれそうな相手に絞る** ことです。
                担当 CSM とのワークショップ(60分)の前に、候補を2〜3個考えておきましょう。

                ## 前提条件

                - 連絡先が取り込まれていること(CSV インポートまたはデータ連携)
                - 最終購入日や会員登録日など、日付の項目が1つ以上あること

                ## 手順

                1. 最初の配信の目的を1つに決めます(例: リピート購入を増やす)。
                2. 目的に合う候補を挙げます。
                   - 直近90日に購入した方
                   - 会員登録から30日以内の方
                   - 資料をダウンロードしたが商談になっていない方
                3. 連絡先 → セグメント → 新規作成 で条件を組み、**人数** を確認します。最初は数百〜数千人が
                   目安です。
                4. ワークショップで CSM と候補を比べ、配信シナリオ(1通目、リマインド)を決めます。

                ## 確認方法

                セグメントの人数が表示され、サンプルの10人を開いて「この人たちに送りたい」と思えれば十分です。

                ## よくあるつまずき

                - **「全員」から始める**: 反応率が下がり、到達率にも悪影響があります。
                - **条件を重ねすぎて数十人になる**: 結果から学べないので、条件を1つ外しましょう。
                - **ワークショップの日程が決まらない**: チェックリストのステップから CSM に候補日を送れます。
                """
            ),
        ),
        en=Text(
            "Choose who hears from you first: preparing the segment workshop",
            "How to narrow your first campaign to a small segment that is likely to respond.",
            md(
                """
                The quickest way to a first success is to **send to people who are likely to respond**. Before
                the 60-minute workshop with your CSM, think of two or three candidates.

                ## Before you start

                - Your contacts are in (CSV import or data integration)
                - At least one date field, such as last purchase or sign-up date

                ## Steps

                1. Pick one goal for the first campaign (e.g. more repeat purchases).
                2. List candidates that fit it:
                   - Customers who bought in the last 90 days
                   - People who signed up in the last 30 days
                   - Leads who downloaded a brochure but never talked to sales
                3. Build each under Contacts → Segments → New and check **how many people** it holds. A few
                   hundred to a few thousand is a good start.
                4. At the workshop, compare the candidates with your CSM and agree the sequence (first e-mail,
                   reminder).

                ## How to check it worked

                The segment shows its size; open ten sample contacts and ask yourself whether you want to write to
                them. If yes, you are done.

                ## Common mistakes

                - **Starting with "everyone"**: response rates fall and deliverability suffers.
                - **Stacking conditions until a few dozen people are left**: there is nothing to learn from the
                  result. Drop a condition.
                - **No date for the workshop**: propose dates to your CSM from the checklist step.
                """
            ),
        ),
        steps=["segment-design"],
        tags=["beginner"],
    ),
    DemoArticle(
        "first-campaign",
        "sending",
        TUTORIAL,
        CUSTOMERS,
        ja=Text(
            "最初のキャンペーンを配信する",
            "小さなセグメントにテスト配信し、結果を見てから広げる手順です。所要時間は約30分です。",
            md(
                """
                ## 前提条件

                - 送信ドメイン認証 (SPF/DKIM) が「認証済み」になっていること。未認証のまま送ると
                  **バウンス(不達)や迷惑メール判定** の原因になります
                - 配信先のセグメントと、使うテンプレートがあること
                - 配信先の全員から配信の同意を得ていること

                ## 配信先を選ぶ

                キャンペーン → 新規作成 で、まずは直近90日の購入者など、**反応が見込める小さなセグメント**を
                選びます。

                ## テンプレートを選ぶ

                作成済みのテンプレートから選び、件名とプリヘッダー(受信一覧で件名の横に出る文)を決めます。
                件名は全角30文字程度までが読みやすい目安です。

                ## テスト送信する

                自分と同僚宛てにテスト送信し、次を確認します。

                1. スマートフォンで表示が崩れていないか
                2. すべてのリンクが正しいページを開くか
                3. フッターに配信停止リンクと送信者の連絡先があるか

                ## 配信を予約する

                開封されやすい時間帯(平日の昼休みや夕方など)に予約しましょう。予約後もキャンペーン一覧から
                時刻の変更や取り消しができます。

                ## 配信できたかの確認

                配信が終わると、キャンペーンの状態が「配信完了」になり、チェックリストの「最初のキャンペーン
                配信」が自動で完了します。バウンス率が5%を超えた場合は「配信がバウンスしたときの確認手順」を
                ご覧ください。
                """
            ),
        ),
        en=Text(
            "Send your first campaign",
            "Test on yourself, send to a small segment, and widen once you see results. About 30 minutes.",
            md(
                """
                ## Before you start

                - Your sender domain shows "Verified" for SPF and DKIM. Sending unauthenticated mail is the most
                  common cause of **bounces and spam filtering**
                - A segment to send to and a template to use
                - Everyone in the segment has agreed to receive your e-mails

                ## Choose who receives it

                Under Campaigns → New, choose **a small segment that is likely to respond**, such as customers
                who bought in the last 90 days.

                ## Choose the template

                Pick one of your templates and write the subject and preheader (the text shown next to the subject
                in the inbox). Short subjects read best on phones.

                ## Send a test

                Send a test to yourself and a colleague, and check:

                1. It looks right on a phone
                2. Every link opens the right page
                3. The footer has the unsubscribe link and your contact details

                ## Schedule it

                Schedule it for when people read e-mail, such as a weekday lunchtime. You can change the time or
                cancel from the campaign list until it goes out.

                ## How to check it went out

                The campaign's status becomes "Sent" and the first-campaign step of your checklist completes by
                itself. If more than 5% bounced, see "Your campaign bounced: what to check".
                """
            ),
        ),
        steps=["first-campaign"],
        tags=["beginner"],
    ),
    DemoArticle(
        "consent-checklist",
        "audience",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "配信リストの同意取得状況を確認する(特定電子メール法への対応)",
            "法務・コンプライアンス部門の確認で配信が止まらないように、同意の記録をそろえる手順です。",
            md(
                """
                広告や宣伝のメールを送るには、特定電子メール法により、原則として **受信者の事前の同意
                (オプトイン)** が必要です。法務部門の確認で最初の配信が止まるケースがよくあるため、
                次の手順で記録をそろえておきましょう。

                ## 前提条件

                - 配信予定のリスト(CSV または連携済みのデータ)
                - 同意を取った場所の分かる資料(会員登録フォーム、展示会のアンケート用紙など)

                ## 手順

                1. リストを **同意を取った経路ごと** に分けます(会員登録、購入時のチェックボックス、名刺交換など)。
                2. 経路ごとに、同意の文言と取得日が分かる証跡を用意します。フォームの画面キャプチャで構いません。
                3. 連絡先の項目「同意の経路」「同意日」に値を入れてインポートします。
                4. 同意が確認できない方は、配信対象から外すセグメント条件を作ります。
                5. テンプレートのフッターに、**送信者の名称・住所・問い合わせ先と配信停止の方法** が入っている
                   ことを確認します。
                6. 上記をまとめて法務部門に確認を依頼します。

                ## 確認方法

                「同意の経路」が空の連絡先が0件になり、配信先セグメントの人数が同意済みの人数と一致していれば
                準備完了です。

                ## よくあるつまずき

                - **名刺交換しただけの方に送る**: 同意の扱いは状況によって異なるため、法務部門に判断を仰ぎましょう。
                - **同意の記録を残していない**: 同意の記録は保存が求められます。今後のフォームでは取得日が
                  残るようにしてください。
                - 本ページは一般的な説明です。個別の判断は貴社の法務部門にご確認ください。
                """
            ),
        ),
        en=Text(
            "Check consent before you send (Japan's Act on Specified Electronic Mail)",
            "Get your consent records in order so a legal review does not hold up your first campaign.",
            md(
                """
                Under Japan's Act on Regulation of Transmission of Specified Electronic Mail, promotional e-mail
                generally needs the **recipient's prior consent (opt-in)**. A legal review of the list is a
                common reason a first campaign waits, so prepare the records this way.

                ## Before you start

                - The list you intend to send to (CSV or synced data)
                - Evidence of where consent was given: sign-up forms, trade-show forms and so on

                ## Steps

                1. Split the list **by where consent was given** (sign-up, checkbox at checkout, business cards).
                2. For each source, keep evidence of the wording and the date: a screenshot of the form will do.
                3. Fill the contact fields "Consent source" and "Consent date" and import them.
                4. Build a segment condition that leaves out everyone without recorded consent.
                5. Check that the template footer has **your company name, address, contact details and how to
                   unsubscribe**.
                6. Send this to your legal team for review.

                ## How to check you are ready

                No contact has an empty "Consent source", and your campaign segment counts only people with
                consent.

                ## Common mistakes

                - **Mailing everyone whose business card you have**: whether that counts as consent depends on
                  the circumstances; ask your legal team.
                - **Not keeping consent records**: you are expected to keep them. Make sure your forms record
                  the date from now on.
                - This page is general information, not legal advice.
                """
            ),
        ),
        steps=["first-campaign"],
        tags=["compliance"],
    ),
    DemoArticle(
        "unsubscribe-link",
        "audience",
        FAQ,
        PUBLIC,
        ja=answer(
            "配信停止 (unsubscribe) リンクは必ず入れる必要がありますか?",
            md(
                """
                はい。広告・宣伝のメールには、法令上、受信者が配信停止を申し出る方法の表示が必要です。
                すべてのテンプレートのフッターには配信停止リンクが自動で入り、削除できないようになっています。
                また、Gmail などが求める **ワンクリック配信停止** (`List-Unsubscribe` ヘッダー) にも対応して
                います。配信停止した方は、CSV で再インポートしても配信対象に戻りません。
                """
            ),
        ),
        en=answer(
            "Do I have to include an unsubscribe link?",
            md(
                """
                Yes. Promotional e-mail must tell recipients how to opt out, so every template's footer carries an
                unsubscribe link that cannot be removed. Campaigns also send the **one-click unsubscribe**
                (`List-Unsubscribe`) header that Gmail and Yahoo require of bulk senders. A contact who
                unsubscribed stays unsubscribed, even if you import them again from a CSV file.
                """
            ),
        ),
        tags=["compliance"],
    ),
    DemoArticle(
        "schedule-send-time",
        "sending",
        FAQ,
        PUBLIC,
        ja=answer(
            "予約した配信の時刻を変更・取り消しできますか?",
            md(
                """
                はい、配信開始の5分前まではキャンペーン一覧から時刻の変更や取り消しができます。取り消した
                キャンペーンは下書きに戻るので、内容を直して予約し直せます。配信が始まった後は停止のみ
                可能で、すでに送られたメールは取り消せません。
                """
            ),
        ),
    ),
    DemoArticle(
        "template-setup",
        "templates",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "ブランドに合わせたメールテンプレートを作る",
            "ロゴとブランドカラーを設定し、使い回せるテンプレートを1つ作る手順です。",
            md(
                """
                毎回ゼロからメールを作ると、確認の手間も表示崩れも増えます。最初によく使う型のテンプレートを
                1つ作っておくと、2回目以降の配信が数分で準備できます。

                ## 前提条件

                - ロゴ画像(PNG、横600px 程度)とブランドカラーのカラーコード(例: `#0B6E4F`)
                - フッターに載せる会社名・住所・問い合わせ先

                ## 手順

                1. 設定 → ブランド でロゴ、ブランドカラー、フッター情報を登録します。
                2. テンプレート → 新規作成 で「お知らせ(1カラム)」などの基本レイアウトを選びます。
                3. 見出し、本文、ボタン(例: 「詳しく見る」)のブロックを配置します。ボタンはブランドカラーが
                   自動で使われます。
                4. 差し込み項目を入れます。例: `{{ name }} 様`。値がない方には「お客様」と表示されるよう、
                   既定値を設定します。
                5. プレビューでスマートフォン表示とダークモード表示を確認し、保存します。

                ## 確認方法

                自分宛てにテスト送信し、Gmail と Outlook、スマートフォンで崩れずに読めれば完成です。

                ## よくあるつまずき

                - **画像1枚だけのメール**: 画像がブロックされると何も読めず、迷惑メール判定もされやすく
                  なります。大事なことはテキストで書きましょう。
                - **差し込み項目の既定値がない**: 「様」だけが表示されてしまいます。
                - **フッターを消そうとする**: 配信停止リンクと送信者情報は必須のため、フッターは残ります。
                """
            ),
            video_url="https://vimeo.com/900000102",
        ),
        en=Text(
            "Build an e-mail template in your brand",
            "Set your logo and brand colour and build one reusable template.",
            md(
                """
                Writing every e-mail from scratch means more checking and more broken layouts. With one template
                for the kind of e-mail you send most, later campaigns take minutes.

                ## Before you start

                - Your logo (PNG, about 600 px wide) and brand colour (e.g. `#0B6E4F`)
                - The company name, address and contact details for the footer

                ## Steps

                1. Under Settings → Brand, enter the logo, brand colour and footer details.
                2. Under Templates → New, choose a basic layout such as "Announcement (one column)".
                3. Add heading, text and button blocks (e.g. "Read more"); buttons use your brand colour.
                4. Insert personal fields, e.g. `Dear {{ name }}`, with a fallback such as "customer" for
                   contacts without a name.
                5. Preview it on a phone and in dark mode, then save.

                ## How to check it worked

                Send a test to yourself: it should read well in Gmail, Outlook and on a phone.

                ## Common mistakes

                - **An e-mail that is one big image**: when images are blocked nothing is readable, and spam
                  filters are suspicious of it. Put what matters in text.
                - **No fallback for personal fields**: the greeting comes out empty.
                - **Trying to remove the footer**: the unsubscribe link and sender details are required.
                """
            ),
        ),
        steps=["template-setup"],
        tags=["template", "beginner"],
    ),
    DemoArticle(
        "ab-test",
        "sending",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "A/Bテストで件名を比較する",
            "件名の2案を一部の配信先で試し、開封率の高い方を残りの全員に自動で送る手順です。",
            md(
                """
                どちらの件名が開かれるかは、送ってみないと分かりません。A/Bテストを使うと、配信先の一部で
                2案を試し、結果の良い方を残りの方に自動で送れます。

                ## 前提条件

                - 配信先のセグメントが **2,000人以上** あること(少ないと差が偶然か判断できません)
                - 比べたいことを1つに絞ること(件名だけ、など)

                ## 手順

                1. キャンペーン → 新規作成 で「A/Bテスト」を選びます。
                2. 件名 A と件名 B を入力します。本文は同じにします。
                3. テストに使う割合(例: 各10%)と、勝者を決める指標(開封率 または クリック率)を選びます。
                4. 判定までの時間(例: 4時間)を決めて予約します。

                ## 確認方法

                判定時刻を過ぎると、レポートに両案の結果と勝者が表示され、残りの80%に勝者の件名で配信
                されます。差がわずかなときは「有意な差なし」と表示されます。

                ## よくあるつまずき

                - **件名と本文を同時に変える**: どちらが効いたのか分からなくなります。
                - **判定時間が短すぎる**: 1時間では昼休みに読む方の反応が入りません。4時間以上がおすすめです。
                - **開封率だけで判断する**: 一部のメールアプリは自動で開封を記録します。クリック率も見ましょう。
                """
            ),
        ),
        steps=["report-review"],
        tags=["reports"],
    ),
    DemoArticle(
        "welcome-scenario",
        "automation",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "ウェルカムメールのシナリオ配信を設定する",
            "会員登録した方に、登録直後・3日後・7日後の3通を自動で届けるシナリオの作り方です。",
            md(
                """
                シナリオ配信は、一度設定すれば条件に合った方へ自動でメールを届けます。最初に作るなら、
                反応率が最も高い **ウェルカムメール** がおすすめです。

                ## 前提条件

                - 会員登録日が連絡先に入ってくること(データ連携、または API のイベント)
                - ウェルカムメール用のテンプレート

                ## 手順

                1. シナリオ → 新規作成 で「ウェルカム(3通)」のひな形を選びます。
                2. 開始条件を「会員登録日が今日」または「イベント `signup` を受信したとき」にします。
                3. 1通目(登録直後): お礼と、最初にしてほしいこと1つ。
                4. 2通目(3日後): よく読まれている記事や人気商品。
                5. 3通目(7日後): 初回購入の特典など。条件「まだ購入していない方」を付けます。
                6. 「テスト実行」で自分を対象に流れを確認し、「有効にする」を押します。

                ## 確認方法

                シナリオの画面で、各メールの送信数と開封率が日ごとに増えていきます。翌日に1件以上の送信が
                あれば動いています。

                ## よくあるつまずき

                - **既存の会員全員に一斉に届く**: 開始条件を「今日以降に登録」にしてください。
                - **購入済みの方にも特典が届く**: 3通目に除外条件を付けましょう。
                - **有効にし忘れる**: テスト実行だけでは本番の配信は始まりません。
                """
            ),
        ),
        en=Text(
            "Set up an automated welcome series",
            "Three e-mails that reach every new member by themselves: right away, after 3 days and after 7 days.",
            md(
                """
                An automated scenario, once set up, e-mails everyone who meets its conditions. A **welcome
                series** is the best first one: no e-mails get better responses.

                ## Before you start

                - Sign-up dates reach your contacts (through data integration or an API event)
                - A template for the welcome e-mails

                ## Steps

                1. Under Scenarios → New, choose the "Welcome (3 e-mails)" blueprint.
                2. Start it when "sign-up date is today" or "event `signup` is received".
                3. E-mail 1 (right away): thank them and suggest one thing to do first.
                4. E-mail 2 (after 3 days): your most read articles or best-selling products.
                5. E-mail 3 (after 7 days): a first-purchase offer, only for "has not purchased yet".
                6. Click "Test run" with yourself as the contact, then "Activate".

                ## How to check it worked

                The scenario page shows sends and opens per e-mail, day by day. One send or more by the next day
                means it is running.

                ## Common mistakes

                - **Every existing member gets it at once**: start the scenario for "signed up from today".
                - **The offer reaches people who already bought**: add the exclusion to e-mail 3.
                - **Forgetting to activate**: a test run does not start real sending.
                """
            ),
        ),
        steps=["automation"],
    ),
    DemoArticle(
        "cart-abandonment",
        "automation",
        FAQ,
        CUSTOMERS,
        ja=answer(
            "カゴ落ちメールはどのプランで使えますか?",
            md(
                """
                カゴ落ちメール(カートに商品を入れたまま購入しなかった方へのリマインド)は、Growth プラン以上で
                ご利用いただけます。Shopify 連携、または API で `cart_updated` イベントを送信していることが
                前提です。シナリオ → 新規作成 の「カゴ落ち」ひな形から、数分で設定できます。
                """
            ),
        ),
        tags=["billing"],
    ),
    DemoArticle(
        "line-channel",
        "automation",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "LINE公式アカウントを連携して、メールと同じセグメントに配信する",
            "Messaging API のチャネルを接続し、LINE でもキャンペーンを届けられるようにします。",
            md(
                """
                メールを読まない層にも、LINE なら届くことがあります。LINE公式アカウントを連携すると、メールと
                同じセグメントに LINE のメッセージを配信できます。

                ## 前提条件

                - LINE公式アカウントの管理者権限
                - LINE Developers で作成した **Messaging API チャネル** と、そのチャネルアクセストークン
                  (長期)
                - 顧客の LINE ユーザー ID と連絡先を結びつける仕組み(会員連携など)

                ## 手順

                1. LINE Developers コンソールでチャネルを開き、チャネルアクセストークン(長期)を発行します。
                2. 設定 → チャネル → LINE で、チャネル ID とトークンを貼り付けて「接続」を押します。
                3. 表示される Webhook URL を LINE Developers の Webhook 設定に登録し、「利用する」をオンにします。
                4. キャンペーン作成時にチャネル「LINE」を選べるようになります。

                ## 確認方法

                設定画面の「接続テスト」で、自分の LINE にテストメッセージが届けば完了です。

                ## よくあるつまずき

                - **短期のトークンを使う**: 30日で失効します。長期のトークンを発行してください。
                - **Webhook をオンにし忘れる**: 友だち追加やブロックの情報が届かず、配信数が合わなくなります。
                - **メッセージ通数の上限**: LINE のプランごとに無料メッセージ数が決まっています。配信前に確認を。
                """
            ),
        ),
        en=Text(
            "Connect your LINE Official Account and message the same segments",
            "Connect a Messaging API channel so campaigns can reach people on LINE as well as by e-mail.",
            md(
                """
                Some people never read e-mail but do read LINE. With your LINE Official Account connected, you can
                send LINE messages to the same segments you e-mail.

                ## Before you start

                - Admin rights on your LINE Official Account
                - A **Messaging API channel** created in the LINE Developers console, and its long-lived channel
                  access token
                - A way to match LINE user IDs to your contacts (e.g. account linking on your site)

                ## Steps

                1. In the LINE Developers console, open the channel and issue a long-lived channel access token.
                2. Under Settings → Channels → LINE, paste the channel ID and token and click "Connect".
                3. Copy the webhook URL shown, enter it in the channel's webhook settings and turn on "Use
                   webhook".
                4. When you create a campaign you can now choose the channel "LINE".

                ## How to check it worked

                "Connection test" on the settings page sends a test message to your own LINE.

                ## Common mistakes

                - **Using a short-lived token**: it expires after 30 days. Issue a long-lived one.
                - **Webhook left off**: follows and blocks do not reach us and the counts drift.
                - **Message allowance**: each LINE plan includes a number of free messages; check it before
                  sending.
                """
            ),
        ),
        steps=["line-channel"],
    ),
]

DELIVERABILITY = [
    DemoArticle(
        "sender-domain-setup",
        "deliverability",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "送信ドメイン認証 (SPF/DKIM) を設定する",
            "DNS にレコードを追加して、メールが迷惑メールに入りにくくします。作業は約15分、反映は最大48時間です。",
            md(
                """
                送信ドメイン認証は、「このメールは確かに貴社が送ったもの」と受信側に証明する仕組みです。
                設定しないまま配信すると、**バウンス(不達)や迷惑メール判定** が大きく増えます。最初の配信の
                前に、必ず設定してください。

                ## 準備するもの

                - 送信に使うドメイン(例: `example.co.jp`)。`news.example.co.jp` のようなサブドメインも使えます
                - DNS を編集できる権限。制作会社や情報システム部門が管理している場合は、下の依頼文を
                  そのまま送ってください

                ## SPF レコードを追加する

                1. DNS の管理画面で、送信ドメインの TXT レコードの一覧を開きます。
                2. `v=spf1` で始まる SPF のレコードが **まだない** 場合は、下の値で TXT レコードを追加します。
                3. **すでにある** 場合は新しく追加せず、既存のレコードの `~all` などの前に
                   `include:_spf.kachi.example` を書き足します。SPF のレコードは1ドメインに1つだけです。

                ```
                v=spf1 include:_spf.kachi.example ~all
                ```

                ## DKIM レコードを追加する

                設定 → 送信ドメイン に表示される CNAME を2件追加します(値はお客様ごとに異なります)。

                ```
                kachi1._domainkey  CNAME  kachi1.dkim.kachi.example
                kachi2._domainkey  CNAME  kachi2.dkim.kachi.example
                ```

                ## DNS の管理者への依頼文

                > 件名: メール配信サービス用の DNS レコード追加のお願い
                >
                > 送信ドメイン認証のため、`example.co.jp` に次のレコードの追加をお願いします。
                > SPF(TXT): 既存の SPF に `include:_spf.kachi.example` を追加(ない場合は新規作成)。
                > DKIM(CNAME): 添付の2件。作業予定日をご返信いただけますと幸いです。

                ## 反映を確認する

                反映には通常数十分から数時間、最大48時間かかります。設定画面の「確認」を押し、SPF と DKIM の
                両方に緑のチェックが付けば完了です。

                ## よくあるつまずき

                - **SPF のレコードを2つ作ってしまう**: 両方とも無効になります。1つにまとめてください。
                - **ホスト名にドメインを重ねて入力する**: 管理画面によっては `kachi1._domainkey` だけを入力します。
                - **依頼の返事待ちで止まる**: 依頼時に作業予定日を聞いておき、担当 CSM にも共有してください。
                """
            ),
        ),
        en=Text(
            "Set up sender domain authentication (SPF/DKIM)",
            "Add DNS records so your e-mails stay out of spam folders. About 15 minutes of work; up to 48 hours "
            "to take effect.",
            md(
                """
                Sender authentication proves to mailbox providers that your e-mail really comes from you. Without
                it, **bounces and spam filtering** go up sharply, so set it up before your first campaign.

                ## What you need

                - The domain you send from (e.g. `example.com`); a subdomain such as `news.example.com` works too
                - Access to edit its DNS. If an agency or your IT team manages DNS, send them the request below

                ## Add the SPF record

                1. Open the TXT records of your sending domain in your DNS provider's console.
                2. If there is **no** SPF record (one starting with `v=spf1`), add a TXT record with the value below.
                3. If there **is** one, do not add a second: insert `include:_spf.kachi.example` before its `~all`
                   (or `-all`). A domain has exactly one SPF record.

                ```
                v=spf1 include:_spf.kachi.example ~all
                ```

                ## Add the DKIM records

                Add the two CNAME records shown under Settings → Sender domain (the values are yours alone):

                ```
                kachi1._domainkey  CNAME  kachi1.dkim.kachi.example
                kachi2._domainkey  CNAME  kachi2.dkim.kachi.example
                ```

                ## A request to send to whoever manages DNS

                > Subject: DNS records for our e-mail marketing service
                >
                > Please add the following to `example.com` for sender authentication. SPF (TXT): add
                > `include:_spf.kachi.example` to the existing record, or create it. DKIM (CNAME): the two records
                > attached. Could you let us know when you expect to make the change?

                ## Check that it works

                Changes usually take effect within hours, at most 48 hours. Click "Verify" on the settings page:
                a green tick next to both SPF and DKIM means done.

                ## Common mistakes

                - **Two SPF records**: both stop working. Merge them into one.
                - **Typing the domain twice in the host name**: many consoles want only `kachi1._domainkey`.
                - **Waiting for a reply**: ask for a date when you send the request, and tell your CSM.
                """
            ),
        ),
        steps=["sender-domain"],
        tags=["dns", "deliverability"],
    ),
    DemoArticle(
        "bounce-troubleshooting",
        "deliverability",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "配信がバウンス(不達)したときの確認手順",
            "最初の配信が届かなかったときに、原因を切り分けて再配信するまでの手順です。",
            md(
                """
                バウンスとは、メールが相手に届かずに戻ってきたことです。最初の配信でバウンスが多い場合、
                原因はほぼ **送信ドメイン認証** か **リストの品質** のどちらかです。

                ## 前提条件

                - キャンペーンのレポートを開けること
                - DNS の設定を確認できる方に連絡が取れること

                ## 手順

                1. レポート → キャンペーン → バウンス で、**ハードバウンス**(宛先が存在しない)と
                   **ソフトバウンス**(受信箱の容量不足・一時的な拒否)の件数を確認します。
                2. 理由に `authentication`、`SPF`、`DKIM`、`5.7.26` などが多い場合は、設定 → 送信ドメイン
                   で「確認」を押します。赤い表示があれば「送信ドメイン認証 (SPF/DKIM) を設定する」に
                   沿って直してください。
                3. ハードバウンスが多い場合は、古いリストや入力ミスが原因です。ハードバウンスしたアドレスは
                   自動で配信停止になるので、そのままで構いません。
                4. 原因を直したら、キャンペーンを複製し、配信先を「前回バウンスした方を除く」にして、まずは
                   小さなセグメントで再配信します。

                ## 確認方法

                再配信のバウンス率が **2%未満** なら正常です。状態が「配信完了」になれば、チェックリストの
                「最初のキャンペーン配信」も完了します。

                ## よくあるつまずき

                - **認証を直す前に再配信する**: 同じ理由で再びバウンスし、ドメインの評価が下がります。
                - **何年も送っていないリストに送る**: まずは直近に接点のある方から送りましょう。
                - 原因が分からない場合は、キャンペーン名を添えてお問い合わせください。通常24時間以内に回答します。
                """
            ),
        ),
        en=Text(
            "Your campaign bounced: what to check",
            "When your first campaign does not get through: find the cause and send again.",
            md(
                """
                A bounce is an e-mail that came back undelivered. When a first campaign bounces a lot, the cause
                is nearly always **sender authentication** or **list quality**.

                ## Before you start

                - You can open the campaign report
                - You can reach whoever can check your DNS

                ## Steps

                1. Under Reports → Campaigns → Bounces, compare **hard bounces** (the address does not exist)
                   with **soft bounces** (mailbox full, temporary refusal).
                2. If the reasons mention `authentication`, `SPF`, `DKIM` or `5.7.26`, click "Verify" under
                   Settings → Sender domain. Anything red: fix it with "Set up sender domain authentication".
                3. Many hard bounces mean an old list or typos. Hard-bounced addresses are unsubscribed
                   automatically; leave them.
                4. Once fixed, duplicate the campaign, exclude "bounced last time", and send to a small segment
                   first.

                ## How to check it worked

                A bounce rate **under 2%** is normal. When the status becomes "Sent", the first-campaign step of
                your checklist completes too.

                ## Common mistakes

                - **Sending again before fixing authentication**: it bounces again and your domain's reputation
                  suffers.
                - **Mailing a list nobody has mailed for years**: start with people you have been in touch with.
                - Still unsure? Contact us with the campaign name; we usually answer within 24 hours.
                """
            ),
        ),
        steps=["first-campaign", "sender-domain"],
        tags=["deliverability", "troubleshooting"],
    ),
    DemoArticle(
        "dmarc",
        "deliverability",
        FAQ,
        PUBLIC,
        ja=answer(
            "DMARC の設定は必要ですか?",
            md(
                """
                おすすめします。Gmail や Yahoo! は、1日に大量のメールを送る送信者に SPF・DKIM に加えて
                DMARC の設定を求めています。まずは監視のみのポリシーで、次の TXT レコードを `_dmarc` に
                追加してください。

                ```
                v=DMARC1; p=none; rua=mailto:dmarc@example.co.jp
                ```

                数週間レポートを見て、正規のメールがすべて認証に通っていることを確かめてから、
                `p=quarantine` などに強めていきます。
                """
            ),
        ),
        tags=["dns", "deliverability"],
    ),
]

REPORTS = [
    DemoArticle(
        "report-review",
        "reports",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "効果測定レポートの見方(開封率・クリック率・コンバージョン)",
            "キャンペーンのレポートで見るべき3つの数字と、次の配信で改善することの決め方です。",
            md(
                """
                配信して終わりにせず、結果から次の1手を決めることで、2回目以降の成果が大きく変わります。

                ## 前提条件

                - 配信から **24時間以上** たったキャンペーンがあること(多くの反応は24時間以内に集まります)

                ## 手順

                1. レポート → キャンペーン で、対象のキャンペーンを開きます。
                2. 3つの数字を見ます。
                   - **開封率**: 件名と配信時間の評価です
                   - **クリック率**: 本文と内容が相手に合っていたかの評価です
                   - **コンバージョン**: 購入や申し込みにつながった数です(データ連携または API が必要です)
                3. 過去の配信の平均と比べます。画面右上の「比較」で前回のキャンペーンを選べます。
                4. 「リンク別クリック」で、どのリンクが押されたかを確認します。
                5. 次の配信で変えることを **1つだけ** 決めて、キャンペーンのメモに残します。

                ## 確認方法

                レポートを開くと、チェックリストの「効果測定レポートの確認」が自動で完了します。

                ## よくあるつまずき

                - **開封率だけで判断する**: Apple のメールアプリなどは自動で開封を記録するため、開封率は
                  実際より高く出ることがあります。クリック率と合わせて見ましょう。
                - **一度に複数のことを変える**: 何が効いたのか分からなくなります。比べたい場合は A/Bテストを。
                - **配信直後に結論を出す**: 翌日まで待ってから判断してください。
                """
            ),
        ),
        en=Text(
            "Reading the campaign report: opens, clicks and conversions",
            "The three numbers to look at, and how to choose what to improve next time.",
            md(
                """
                Deciding one next step from each result is what makes the second and third campaigns better than
                the first.

                ## Before you start

                - A campaign sent **at least 24 hours ago** (most responses arrive within a day)

                ## Steps

                1. Open the campaign under Reports → Campaigns.
                2. Look at three numbers:
                   - **Open rate**: how well the subject line and sending time worked
                   - **Click rate**: whether the content suited the people who got it
                   - **Conversions**: purchases or sign-ups that followed (needs data integration or the API)
                3. Compare with your average: "Compare" (top right) picks an earlier campaign.
                4. "Clicks by link" shows which links people used.
                5. Choose **one** thing to change next time and note it on the campaign.

                ## How to check it worked

                Opening a report completes the report step of your checklist by itself.

                ## Common mistakes

                - **Judging by opens alone**: Apple Mail and some others record opens automatically, so open
                  rates can look higher than they are. Read them with the click rate.
                - **Changing several things at once**: you will not know what worked. Use an A/B test.
                - **Concluding right after sending**: wait until the next day.
                """
            ),
        ),
        steps=["report-review"],
        tags=["reports", "beginner"],
    ),
    DemoArticle(
        "open-rate-definition",
        "reports",
        FAQ,
        PUBLIC,
        ja=answer(
            "開封率はどのように計算されていますか?",
            md(
                """
                開封率は「開封した人数 ÷ 届いた数(配信数からバウンス数を引いたもの)」です。同じ方が何度開いても1人と
                数えます。開封はメール内の小さな画像の読み込みで記録するため、画像を表示しない設定の方は
                数えられず、逆に Apple のメールアプリのように自動で画像を読み込む環境では、読んでいなくても
                開封と記録されます。傾向を見る指標として使い、成果の判断にはクリック率やコンバージョンを
                合わせてご覧ください。
                """
            ),
        ),
        tags=["reports"],
    ),
    DemoArticle(
        "success-review-preparation",
        "reports",
        TUTORIAL,
        PUBLIC,
        ja=Text(
            "成果レビュー会の準備:KPI の達成度と ROI をまとめる",
            "キックオフで決めた KPI に対する成果を、レポートと記録した価値からまとめる手順です。",
            md(
                """
                成果レビュー会では、キックオフで決めた KPI に対して何が達成できたかを振り返り、次の四半期の
                目標を決めます。準備は30分ほどで済みます。

                ## 前提条件

                - キックオフの議事録(KPI と目標値)
                - 最初のキャンペーン配信から1か月以上たっていること

                ## 手順

                1. レポート → キャンペーン で、期間をオンボーディング開始日からに設定します。
                2. 開封率・クリック率・コンバージョン数を、キックオフ時点の数字と並べます。
                3. メニューの「価値」→「価値を記録」で、メール経由の売上や削減できた工数を **月ごと** に記録します。
                   投資額を上回ると「投資回収 (ROI)」のマイルストーンが達成になります。
                4. うまくいった配信と、そうでなかった配信を1つずつ選び、理由を書いておきます。

                ## 確認方法

                記録した価値の合計と KPI の達成度が1枚にまとまっていれば準備完了です。社内報告にもそのまま
                使えます。

                ## よくあるつまずき

                - **価値をまとめて記録する**: 月ごとに入れると、いつ投資を回収できたかが正しく分かります。
                - **数字だけを並べる**: 次に何を変えるかまで決めると、次の四半期の計画が立てやすくなります。
                """
            ),
        ),
        en=Text(
            "Prepare the results review: KPI progress and ROI",
            "Put together what was achieved against the kickoff KPI, from reports and recorded value.",
            md(
                """
                The results review looks back at what you achieved against the KPI chosen at the kickoff and sets
                the next quarter's goal. Preparing takes about 30 minutes.

                ## Before you start

                - The kickoff notes (KPI and target)
                - At least a month since your first campaign

                ## Steps

                1. Under Reports → Campaigns, set the period to start on your onboarding start date.
                2. Put open rate, click rate and conversions next to the numbers from the kickoff.
                3. Under Value → Record value, enter revenue from e-mail or hours saved **month by month**. Once
                   the total exceeds your investment, the ROI milestone is reached.
                4. Pick one campaign that worked and one that did not, and write down why.

                ## How to check you are ready

                Recorded value and KPI progress fit on one page, ready to show your management too.

                ## Common mistakes

                - **Recording value in one lump**: month by month shows when you actually recovered the investment.
                - **Only listing numbers**: deciding what to change next makes the next quarter's plan easy.
                """
            ),
        ),
        steps=["success-review"],
        tags=["reports"],
    ),
]

ACCOUNT = [
    DemoArticle(
        "forgot-password",
        "account",
        FAQ,
        PUBLIC,
        ja=answer(
            "パスワードを忘れた場合は?",
            md(
                """
                サインイン画面の「パスワードをお忘れですか?」から、登録済みのメールアドレスを入力すると
                再設定用のメールが届きます。リンクの有効期限は1時間です。メールが届かない場合は迷惑メール
                フォルダを確認してください。シングルサインオン (SSO) をお使いの会社では、パスワードは
                貴社の IdP(Microsoft Entra ID など)で管理されているため、社内の情報システム部門にご相談ください。
                """
            ),
        ),
        en=answer(
            "I forgot my password. What do I do?",
            md(
                """
                Use "Forgot your password?" on the sign-in page and enter your e-mail address: you receive a reset
                link, valid for one hour. If it does not arrive, look in your spam folder. If your company signs in
                with single sign-on (SSO), your password lives in your identity provider (such as Microsoft Entra
                ID): ask your IT team.
                """
            ),
        ),
        tags=["troubleshooting"],
    ),
    DemoArticle(
        "security-review-materials",
        "security",
        TUTORIAL,
        CUSTOMERS,
        ja=Text(
            "情報セキュリティ審査の資料をそろえる",
            "情報システム部門の審査に必要な資料の入手方法と、追加資料を求められやすい項目への備え方です。",
            md(
                """
                クラウドサービスの導入では、多くの企業で情報システム部門の審査があります。審査の往復が
                長引くと導入全体が止まってしまうため、**最初の提出で必要な資料をそろえる** ことが大切です。

                ## 前提条件

                - 貴社の審査の様式(独自のチェックシートがあるか)を、情報システム部門に確認済みであること
                - 管理者としてログインできること

                ## 手順

                1. 設定 → セキュリティ → 審査資料 から、次の資料をダウンロードします。
                   - セキュリティチェックシート(回答済み、日本語・英語)
                   - ISMS (ISO/IEC 27001) 認証の証明書
                   - データの保管場所(国内リージョン)と、再委託先の一覧
                   - 個人情報の取り扱いに関する覚書のひな形
                2. 貴社独自のチェックシートがある場合は、回答済みのチェックシートを参照して記入し、分からない
                   項目だけを担当 CSM に送ります。回答は通常3営業日以内にお返しします。
                3. 資料一式を情報システム部門に提出し、審査の完了予定日を確認します。
                4. 審査が完了したら、チェックリストのステップで担当 CSM に結果をお知らせください。

                ## 確認方法

                提出した資料と審査の予定日がステップのメモに残っていれば、CSM も進捗を把握できます。

                ## よくあるつまずき

                - **追加資料の依頼が後から来る**: 脆弱性診断の結果概要、バックアップと障害時の復旧手順、
                  アクセスログの保管期間はよく求められます。最初から添付しておきましょう。
                - **審査の担当者が決まっていない**: キックオフの段階で名前を確認しておくと、依頼が滞りません。
                """
            ),
        ),
        en=Text(
            "Prepare the documents for your security review",
            "Where to get the documents your IT security team needs, and the follow-up questions to expect.",
            md(
                """
                Many companies review a cloud service before they use it. Every round trip with the reviewers
                delays the whole rollout, so **send everything they need the first time**.

                ## Before you start

                - You have asked your IT team whether they use their own questionnaire
                - You can sign in as an administrator

                ## Steps

                1. Under Settings → Security → Review documents, download:
                   - The completed security questionnaire (Japanese and English)
                   - The ISMS (ISO/IEC 27001) certificate
                   - Where data is stored (a Japanese region) and the list of subprocessors
                   - A template data processing agreement
                2. If your company has its own questionnaire, fill it in from ours and send your CSM only the
                   questions you cannot answer. We usually reply within three business days.
                3. Hand the set to your IT team and ask when they expect to finish.
                4. When the review is done, tell your CSM from the checklist step.

                ## How to check you are on track

                With the documents sent and the expected date noted on the step, your CSM can follow progress too.

                ## Common mistakes

                - **Follow-up requests**: a penetration test summary, backup and recovery procedures and how long
                  access logs are kept are often asked for. Attach them from the start.
                - **No named reviewer**: find out who it is at the kickoff so the request does not sit in a queue.
                """
            ),
        ),
        steps=["security-review"],
        tags=["security", "admin"],
    ),
    DemoArticle(
        "sso-saml-setup",
        "security",
        TUTORIAL,
        SEGMENTS,
        ja=Text(
            "SAML でシングルサインオン (SSO) を設定する(Microsoft Entra ID・Okta)",
            "IdP にアプリを登録し、テストユーザーでログインを確かめてから全員に適用する手順です。",
            md(
                """
                SSO を設定すると、社員の方は普段の会社アカウントでログインでき、退職者のアクセスも IdP 側で
                まとめて止められます。設定には **IdP の管理者権限** が必要です。

                ## 前提条件

                - IdP(Microsoft Entra ID、Okta など SAML 2.0 対応のもの)でアプリを追加できる方の協力
                - 本サービスの管理者アカウント
                - テスト用のユーザー1名(自分でも可)

                ## 手順

                1. 設定 → セキュリティ → シングルサインオン を開き、**エンティティ ID** と **ACS URL** を
                   コピーします(メタデータ XML もダウンロードできます)。
                2. IdP で SAML アプリを追加し、上の2つを登録します。
                   - Entra ID: エンタープライズアプリケーション → 新しいアプリケーション → 独自のアプリケーション
                   - Okta: Applications → Create App Integration → SAML 2.0
                3. NameID を **メールアドレス** にし、アプリにテストユーザーを割り当てます。
                4. IdP のメタデータ XML を本サービスの画面にアップロードし、「保存」を押します。
                5. 別のブラウザ(シークレットウィンドウ)で「SSO でログイン」を試します。
                6. ログインできたら、「SSO を必須にする」をオンにし、IdP で対象のユーザー全員を割り当てます。

                ## 確認方法

                テストユーザーが SSO でログインでき、ログイン履歴に「SAML」と表示されれば成功です。

                ## よくあるつまずき

                - **IdP の設定権限を持つ方が不在**: 作業は15分ほどです。このページを依頼文として転送し、
                  作業日を決めてもらいましょう。
                - **NameID が社員番号になっている**: 本サービスのメールアドレスと一致せずログインできません。
                - **全員を必須にする前にテストしない**: 設定を誤ると全員がログインできなくなります。管理者1名は
                  パスワードでもログインできる「緊急用アカウント」として残しておきます。
                """
            ),
            video_url="https://www.youtube.com/watch?v=KachiDemo04",
        ),
        en=Text(
            "Set up single sign-on (SSO) with SAML (Microsoft Entra ID, Okta)",
            "Register the app in your identity provider, test with one user, then require it for everyone.",
            md(
                """
                With SSO your people sign in with their usual company account, and leavers lose access when they
                are removed from your identity provider (IdP). You need someone with **admin rights in the IdP**.

                ## Before you start

                - Help from someone who can add applications in your IdP (Microsoft Entra ID, Okta or any SAML 2.0
                  IdP)
                - An administrator account here
                - One test user (you will do)

                ## Steps

                1. Open Settings → Security → Single sign-on and copy the **Entity ID** and **ACS URL** (or
                   download the metadata XML).
                2. Add a SAML application in your IdP with those two values:
                   - Entra ID: Enterprise applications → New application → Create your own application
                   - Okta: Applications → Create App Integration → SAML 2.0
                3. Set the NameID to the **e-mail address** and assign the test user to the application.
                4. Upload the IdP's metadata XML here and click "Save".
                5. In another browser (or a private window), try "Sign in with SSO".
                6. When it works, turn on "Require SSO" and assign everyone who needs access in the IdP.

                ## How to check it worked

                The test user signs in through SSO, and the sign-in history shows "SAML".

                ## Common mistakes

                - **Nobody with IdP rights is available**: the work takes about 15 minutes. Forward this page as
                  the request and agree a date.
                - **NameID is an employee number**: it does not match the e-mail address here, so sign-in fails.
                - **Requiring SSO before testing**: a mistake locks everyone out. Keep one administrator able to
                  sign in with a password as a break-glass account.
                """
            ),
        ),
        steps=["sso-setup"],
        segments=["enterprise"],
        tags=["sso", "security", "admin"],
    ),
    DemoArticle(
        "sso-plans",
        "security",
        FAQ,
        SEGMENTS,
        ja=answer(
            "シングルサインオン (SSO) は使えますか?",
            md(
                """
                はい。Enterprise プランでは、SAML 2.0 に対応した IdP(Microsoft Entra ID、Okta、Google
                Workspace など)と連携できます。設定手順は「SAML でシングルサインオン (SSO) を設定する」を
                ご覧ください。SCIM によるユーザーの自動登録・削除については、担当 CSM にご相談ください。
                """
            ),
        ),
        steps=["sso-setup"],
        segments=["enterprise"],
        tags=["sso"],
    ),
]

BILLING = [
    DemoArticle(
        "invoice-download",
        "billing",
        FAQ,
        CUSTOMERS,
        ja=answer(
            "請求書・領収書はどこからダウンロードできますか?",
            md(
                """
                管理者の方は 設定 → ご契約と請求 → 請求書 から、過去の請求書と領収書を PDF でダウンロード
                できます。請求書は毎月1日に発行され、登録済みの請求先メールアドレスにも届きます。宛名や
                請求先部署を変更したい場合は、同じ画面の「請求先情報」から変更すると、翌月の請求書から
                反映されます。適格請求書(インボイス制度)の登録番号は、各請求書に記載しています。
                """
            ),
        ),
        en=answer(
            "Where can I download invoices and receipts?",
            md(
                """
                Administrators can download past invoices and receipts as PDF files under Settings → Plan and
                billing → Invoices. Invoices are issued on the first of each month and also e-mailed to the billing
                address on file. To change the addressee or department, edit "Billing details" on the same page;
                the change applies from the next invoice. Every invoice shows our qualified invoice registration
                number.
                """
            ),
        ),
        tags=["billing"],
    ),
    DemoArticle(
        "change-plan",
        "billing",
        FAQ,
        CUSTOMERS,
        ja=answer(
            "プランの変更(アップグレード・ダウングレード)はいつ反映されますか?",
            md(
                """
                アップグレードは申し込み直後から反映され、料金は当月分を日割りで請求します。ダウングレードは
                翌月1日から反映されます。ダウングレード先のプランで使えない機能(A/Bテスト、カゴ落ちメール
                など)を使っているシナリオは、反映日に停止されるため、事前に一覧で確認できます。変更は
                設定 → ご契約と請求 から管理者の方が行えます。
                """
            ),
        ),
        tags=["billing"],
    ),
    DemoArticle(
        "payment-methods",
        "billing",
        FAQ,
        CUSTOMERS,
        ja=answer(
            "クレジットカード払いから請求書払い(銀行振込)に変更できますか?",
            md(
                """
                年間契約、または月額料金が5万円以上のプランでは、請求書払い(銀行振込)に変更できます。
                設定 → ご契約と請求 → お支払い方法 から申請してください。審査に数営業日かかります。
                """
            ),
        ),
        tags=["billing"],
        draft=True,
    ),
]

ENGLISH_ONLY = [
    DemoArticle(
        "support-in-english",
        "getting-started",
        FAQ,
        PUBLIC,
        en=answer(
            "Can I get help in English?",
            md(
                """
                Yes. Switch the portal to English under your name → Profile, and the checklist, this help centre
                and e-mails from us follow. Write to support in English and you will get an answer in English,
                usually within 24 hours on business days (Japan time). If your team works mostly in English, ask
                for an English-speaking CSM: we will assign one where we can.
                """
            ),
        ),
        tags=["beginner"],
    ),
]

# Words customers use for what the articles call otherwise (the admin's "Synonyms"): product names in
# katakana, abbreviations, other words for the same action, and the English of a few Japanese words so a
# Japanese question finds an article written only in English.
SYNONYMS = [
    "パスワード, PW",
    "退会, 解約",
    "配信停止, 購読解除, 購読停止, unsubscribe",
    "キャンセル, 取り消し, 取消",
    "変更, 変える",
    "ログイン, サインイン",
    "初回, 最初",
    "エクセル, Excel",
    "セールスフォース, Salesforce",
    "ショッピファイ, Shopify",
    "ステップメール, ステップ配信, シナリオ配信",
    "シングルサインオン, SSO",
    "カゴ落ち, かご落ち, カート放棄",
    "2段階認証, 2要素認証, 2FA",
    "バウンス, 不達",
    "領収書, レシート",
    "英語, English",
    "サポート, support",
]

# Until readers' views say otherwise, the help home's popular list and each category start with these, in
# this order: the first steps, and the steps where demo accounts stall (DNS, data, bounces).
FEATURED = [
    "getting-started-guide",
    "sender-domain-setup",
    "csv-import",
    "first-campaign",
    "bounce-troubleshooting",
    "template-setup",
]

ARTICLES: list[DemoArticle] = (
    GETTING_STARTED + DATA + SENDING + DELIVERABILITY + REPORTS + ACCOUNT + BILLING + ENGLISH_ONLY
)
