"""Questions as customers type them into the help centre of the demo product (the articles of
``faq.demo_articles``, seeded by ``faq.demo.seed_help_centre``), each with the article that answers
it. Written from what customers ask support, not from the articles' wording: other words (PW,
エクセル, 購読解除), other forms of a verb (届かなかった), colloquial endings (〜したい, 〜って何),
kanji written in kana (かご落ち) and English with plurals and other tenses.

``bench/search_relevance.py`` measures how often the expected article comes first (and within the
first three); ``tests/faq/test_search.py`` requires it first for every question.
"""

from __future__ import annotations

# question, language searched in, the slug of the article that answers it
QUESTIONS: list[tuple[str, str, str]] = [
    # Signing in and the team
    ("パスワードを忘れてしまった", "ja", "forgot-password"),
    ("PWを忘れました", "ja", "forgot-password"),
    ("パスワード再設定のメール", "ja", "forgot-password"),
    ("初めてログインするには", "ja", "admin-account-first-login"),
    ("招待メールが来ない", "ja", "invitation-email-not-received"),
    ("招待メールが届かなかった", "ja", "invitation-email-not-received"),
    ("チームメンバーの権限を変えたい", "ja", "invite-team-roles"),
    ("管理者トレーニングの録画", "ja", "admin-training"),
    # Contacts and integrations
    ("エクセルの顧客リストを取り込みたい", "ja", "csv-import"),
    ("CSVが文字化けする", "ja", "csv-import-errors"),
    ("インポートでエラーになる", "ja", "csv-import-errors"),
    ("セールスフォースの顧客データを自動で取り込みたい", "ja", "crm-integration"),
    ("CRM連携でAPI権限がありませんと出る", "ja", "crm-api-permission-error"),
    ("ショッピファイの注文データを同期", "ja", "shopify-integration"),
    ("APIキーはどこで発行しますか", "ja", "api-keys-events"),
    ("購買イベントを送信したい", "ja", "api-keys-events"),
    ("LINEでも配信したい", "ja", "line-channel"),
    # Sending
    ("テスト配信してから広げたい", "ja", "first-campaign"),
    ("セグメント設計のワークショップ", "ja", "segment-design"),
    ("オプトインの同意の記録", "ja", "consent-checklist"),
    ("購読解除リンクは必須ですか", "ja", "unsubscribe-link"),
    ("予約配信をキャンセルしたい", "ja", "schedule-send-time"),
    ("予約した時刻を変更したい", "ja", "schedule-send-time"),
    ("テンプレートにロゴを入れたい", "ja", "template-setup"),
    ("件名のABテスト", "ja", "ab-test"),
    ("ステップメールを作りたい", "ja", "welcome-scenario"),
    ("ウェルカムメールを自動で送る", "ja", "welcome-scenario"),
    ("かご落ちメールは使えますか", "ja", "cart-abandonment"),
    # Deliverability
    ("SPFとDKIMの設定方法", "ja", "sender-domain-setup"),
    ("DMARCって必要?", "ja", "dmarc"),
    ("送ったメールがバウンスした", "ja", "bounce-troubleshooting"),
    ("不達の原因を調べたい", "ja", "bounce-troubleshooting"),
    # Reports and reviews
    ("開封率の計算方法", "ja", "open-rate-definition"),
    ("クリック率とコンバージョンの見方", "ja", "report-review"),
    ("ROIをまとめたい", "ja", "success-review-preparation"),
    ("キックオフで決めること", "ja", "kickoff-preparation"),
    ("最初の30日でやること", "ja", "getting-started-guide"),
    # Security and sign-on
    ("セキュリティチェックシートの資料", "ja", "security-review-materials"),
    ("Oktaでシングルサインオンを設定したい", "ja", "sso-saml-setup"),
    ("SSOは使えますか", "ja", "sso-plans"),
    # Billing and plan
    ("領収書が欲しい", "ja", "invoice-download"),
    ("インボイス制度の登録番号", "ja", "invoice-download"),
    ("ダウングレードはいつ反映される?", "ja", "change-plan"),
    # Said the long way round
    ("ログインするときのパスワードを忘れた", "ja", "forgot-password"),
    ("Excelで作った名簿を取り込む", "ja", "csv-import"),
    ("CSVは何行まで取り込める?", "ja", "csv-import"),
    ("権限がないと言われてCRMがつながらない", "ja", "crm-api-permission-error"),
    ("配信したメールが迷惑メールに入ってしまう", "ja", "sender-domain-setup"),
    ("SPFレコードはどこに追加するの", "ja", "sender-domain-setup"),
    ("ハードバウンスとソフトバウンスの違い", "ja", "bounce-troubleshooting"),
    ("配信停止した人にもう一度送れる?", "ja", "unsubscribe-link"),
    ("A/Bテストには何人必要?", "ja", "ab-test"),
    ("退職者のアカウントを止めたい", "ja", "sso-saml-setup"),
    ("英語でサポートしてもらえますか", "ja", "support-in-english"),
    # English
    ("forgot my password", "en", "forgot-password"),
    ("team invites", "en", "invite-team-roles"),
    ("invitation email never arrived", "en", "invitation-email-not-received"),
    ("garbled characters in my csv", "en", "csv-import-errors"),
    ("emails bouncing", "en", "bounce-troubleshooting"),
    ("SPF and DKIM records", "en", "sender-domain-setup"),
    ("is an unsubscribe link required", "en", "unsubscribe-link"),
    ("download receipts", "en", "invoice-download"),
    ("single sign-on with Okta", "en", "sso-saml-setup"),
    ("support in English", "en", "support-in-english"),
    ("automated welcome emails", "en", "welcome-scenario"),
    ("csv upload failed rows", "en", "csv-import-errors"),
    ("connect LINE", "en", "line-channel"),
    ("documents for the security review", "en", "security-review-materials"),
]

# Questions the demo help centre has no article for: the honest answer is "nothing found".
UNANSWERED: list[tuple[str, str]] = [
    ("量子コンピュータ", "ja"),
    ("Zoomと連携したい", "ja"),
    ("給与計算のやり方", "ja"),
    ("what is the weather tomorrow", "en"),
]
