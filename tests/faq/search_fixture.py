# ruff: noqa: RUF001 (Japanese text uses full-width brackets and marks)
"""A help centre of an e-mail marketing SaaS, in Japanese and English, to test search against:
every query of ``JAPANESE_QUERIES`` and ``ENGLISH_QUERIES`` must find its article first."""

from __future__ import annotations

# slug, title, summary, body, views (ties between equal matches go to the most read)
JA: list[tuple[str, str, str, str, int]] = [
    (
        "ja-sender-auth",
        "送信ドメイン認証（SPF・DKIM・DMARC）を設定する",
        "DNSにレコードを追加して、迷惑メールに振り分けられにくくします。",
        "## 準備するもの\n\n- 送信に使うドメイン\n- DNSを編集できる権限\n\n## 手順\n\n"
        "1. 管理画面の「ドメイン」を開き、SPFレコードとDKIMレコードをコピーします。\n"
        "2. DNSサービスに **TXTレコード** として追加します。\n3. 反映後「確認」を押します。\n\n"
        "DMARCは `p=none` から始め、レポートを見てから強めてください。",
        40,
    ),
    (
        "ja-contacts-import",
        "CSVファイルで連絡先をインポートする",
        "Excelやほかの配信サービスから書き出した連絡先を一度に取り込みます。",
        "連絡先の一覧をCSV（UTF-8）で保存し、「連絡先」→「インポート」からアップロードします。"
        "1行目は見出し行にして、email列を必ず対応付けてください。文字化けする場合はShift_JISで保存されています。",
        30,
    ),
    (
        "ja-unsubscribe",
        "配信停止（購読解除）の仕組みと設定方法",
        "すべてのメールに配信停止リンクが入ります。文面と停止後のページを変更できます。",
        "特定電子メール法により、広告メールには配信停止の方法を明記する必要があります。"
        "フッターの配信停止リンクは自動で挿入され、クリックした連絡先は以後の配信から外れます。",
        25,
    ),
    (
        "ja-deliverability",
        "メールが届かないときの確認項目",
        "宛先不明、迷惑メール判定、送信ドメイン認証の不足などの原因を順に確認します。",
        "まず配信レポートでバウンスの種類を確認します。ハードバウンスは宛先が存在しない、"
        "ソフトバウンスは受信箱の容量不足などの一時的なエラーです。",
        35,
    ),
    (
        "ja-password",
        "パスワードをリセットする",
        "ログイン画面の「パスワードをお忘れの方」から再設定メールを受け取れます。",
        "再設定メールのリンクは24時間有効です。メールが届かない場合は迷惑メールフォルダを確認してください。",
        20,
    ),
    (
        "ja-two-factor",
        "2段階認証を有効にする",
        "ログイン時に認証アプリのコードを求めて、不正ログインを防ぎます。",
        "「プロフィール」→「セキュリティ」で2段階認証をオンにし、表示されたQRコードを認証アプリで読み取ります。"
        "バックアップコードは安全な場所に保管してください。",
        15,
    ),
    (
        "ja-segments",
        "セグメントを作成して配信先を絞り込む",
        "購入履歴や開封の有無などの条件で、配信先のリストを自動で作ります。",
        "条件は「かつ」「または」で組み合わせられます。セグメントは配信のたびに最新の連絡先で計算されます。",
        22,
    ),
    (
        "ja-step-mail",
        "ステップメール（シナリオ配信）を作る",
        "登録日から決まった日数ごとに、順番にメールを送ります。",
        "トリガーを「リストへの登録」にし、1通目、3日後、7日後のように間隔を指定します。"
        "途中で購入した人をシナリオから外す条件も設定できます。",
        18,
    ),
    (
        "ja-scheduled",
        "予約配信を設定する",
        "日時を指定して、キャンペーンを自動で送ります。",
        "配信画面で「予約する」を選び、日時とタイムゾーンを指定します。予約は配信の10分前まで取り消せます。",
        16,
    ),
    (
        "ja-ab-test",
        "件名のABテストを行う",
        "2つの件名を一部の宛先に送り、開封率の高い方を残りに送ります。",
        "テストの割合（例: 20%）と勝者を決める指標、判定までの時間を指定します。",
        12,
    ),
    (
        "ja-open-rate",
        "開封率とクリック率の見方",
        "レポートの各指標の意味と、業界の目安を説明します。",
        "開封率は画像の読み込みで計測するため、Appleのメールプライバシー保護の影響で高めに出ることがあります。"
        "クリック率はリンクをクリックした人の割合です。",
        28,
    ),
    (
        "ja-template",
        "HTMLメールのテンプレートを編集する",
        "ドラッグ＆ドロップのエディタで、ロゴや色を自社に合わせます。",
        "テンプレートは「デザイン」から作成します。HTMLを直接書く場合は、インラインCSSを使ってください。",
        14,
    ),
    (
        "ja-invoice",
        "請求書と領収書をダウンロードする",
        "毎月の請求書はPDFで発行されます。",
        "「設定」→「お支払い」→「請求履歴」から、月ごとの請求書と領収書をPDFで保存できます。宛名も変更できます。",
        10,
    ),
    (
        "ja-plan",
        "料金プランを変更する",
        "連絡先の数や機能に合わせて、いつでもプラン変更できます。",
        "アップグレードは即日、ダウングレードは次の請求日から反映されます。差額は日割りで計算します。",
        9,
    ),
    (
        "ja-payment",
        "お支払い方法（クレジットカード）を変更する",
        "登録したカードの変更や、請求書払いへの切り替えができます。",
        "「設定」→「お支払い」でカード情報を更新します。請求書払いは年間契約の場合にご利用いただけます。",
        8,
    ),
    (
        "ja-team",
        "チームメンバーを招待して権限を設定する",
        "同僚を招待し、管理者・編集者・閲覧者の権限を割り当てます。",
        "招待メールのリンクは7日間有効です。権限はあとから変更できます。",
        26,
    ),
    (
        "ja-api-key",
        "APIキーを発行する",
        "自社システムから連絡先やイベントを送るためのキーを作ります。",
        "キーは発行時に一度だけ表示されます。漏れた場合はすぐに無効化して、新しいキーを発行してください。",
        11,
    ),
    (
        "ja-webhook",
        "Webhookで配信イベントを受け取る",
        "開封やクリック、バウンスを自社のサーバーに通知します。",
        "受け取るURLを登録し、署名ヘッダーで送信元を検証してください。失敗した通知は最大24時間再送します。",
        7,
    ),
    (
        "ja-spam-folder",
        "Gmailで迷惑メールに入ってしまう",
        "Gmailの送信者ガイドラインに沿っているかを確認します。",
        "大量に送る送信者には、SPF・DKIM・DMARCの設定と、ワンクリックでの配信停止が求められます。",
        13,
    ),
    (
        "ja-signup-form",
        "登録フォームをWebサイトに埋め込む",
        "メールアドレスを集めるフォームを作り、コードを貼り付けます。",
        "フォームの項目と完了メッセージを設定し、表示された `<script>` のコードをページに貼り付けます。",
        17,
    ),
    (
        "ja-double-opt-in",
        "ダブルオプトインを有効にする",
        "登録後に確認メールを送り、リンクをクリックした人だけをリストに加えます。",
        "いたずら登録や入力ミスを防ぎ、到達率を保てます。確認メールの文面は変更できます。",
        6,
    ),
    (
        "ja-ui-language",
        "管理画面（UI）の表示言語を切り替える",
        "日本語と英語を選べます。",
        "画面上部の言語切り替えから選びます。選んだ言語はプロフィールに保存されます。",
        5,
    ),
    (
        "ja-cancel",
        "アカウントを解約する",
        "解約の手続きと、解約後のデータの扱いを説明します。",
        "「設定」→「契約」から解約できます。解約後30日間はデータを書き出せます。",
        4,
    ),
    (
        "ja-export",
        "配信結果をCSVでエクスポートする",
        "開封やクリックの結果を表計算ソフトで分析できます。",
        "レポート画面の「エクスポート」から、連絡先ごとの結果をCSVでダウンロードします。",
        19,
    ),
    (
        "ja-sender-name",
        "差出人名と差出人アドレスを設定する",
        "受信箱に表示される名前とアドレスを決めます。",
        "差出人アドレスには認証済みのドメインを使ってください。返信先アドレスは別に設定できます。",
        21,
    ),
    (
        "ja-merge-tags",
        "差し込みタグで宛名を入れる",
        "件名や本文に連絡先の名前や会社名を自動で入れます。",
        "本文に `{{ name }}` と書くと、連絡先の名前に置き換わります。空の場合の代わりの文字も指定できます。",
        3,
    ),
    (
        "ja-escaping",
        "メールにスクリプトは埋め込めますか？",
        "メールではJavaScriptは動きません。",
        "受信側のメールソフトは <script>alert('x')</script> のようなスクリプトをすべて取り除きます。"
        "動きのある表現にはGIF画像を使ってください。",
        2,
    ),
]

EN: list[tuple[str, str, str, str, int]] = [
    (
        "en-sender-auth",
        "Set up sender domain authentication (SPF, DKIM, DMARC)",
        "Add DNS records so your campaigns stay out of spam folders.",
        "Copy the SPF and DKIM records from Settings → Domains and add them to your DNS as TXT records. "
        "Start DMARC with p=none and tighten it once the reports look clean.",
        40,
    ),
    (
        "en-import",
        "Import contacts from a CSV file",
        "Bring in contacts exported from a spreadsheet or another email tool.",
        "Save the list as CSV (UTF-8), then upload it under Contacts → Import. Map the email column.",
        30,
    ),
    (
        "en-unsubscribe",
        "How unsubscribe links work",
        "Every campaign carries an unsubscribe link in its footer.",
        "Contacts who click it are removed from future sends. You can edit the confirmation page.",
        25,
    ),
    (
        "en-bounces",
        "Why are my emails bouncing?",
        "Hard bounces, soft bounces and what to do about each.",
        "A hard bounce means the address does not exist; a soft bounce is temporary, such as a full mailbox.",
        35,
    ),
    (
        "en-password",
        "Reset your password",
        "Get a reset link from the sign-in page.",
        "The link in the email works for 24 hours. Check your spam folder if it does not arrive.",
        20,
    ),
    (
        "en-two-factor",
        "Turn on two-factor authentication",
        "Ask for a code from an authenticator app at every sign-in.",
        "Open Profile → Security, turn it on and scan the QR code. Keep the backup codes somewhere safe.",
        15,
    ),
    (
        "en-segments",
        "Create segments to target your campaigns",
        "Build lists from purchase history, opens and custom fields.",
        "Combine conditions with AND and OR. A segment is recalculated before every send.",
        22,
    ),
    (
        "en-automation",
        "Build a drip campaign (automation)",
        "Send a series of emails on a schedule after someone signs up.",
        "Choose the trigger, then add emails with delays such as 3 days and 7 days.",
        18,
    ),
    (
        "en-ab-test",
        "A/B test your subject lines",
        "Send two subject lines to a sample and the winner to everyone else.",
        "Choose the sample size, the metric that picks the winner and how long to wait.",
        12,
    ),
    (
        "en-invoices",
        "Download invoices and receipts",
        "Monthly invoices are available as PDF files.",
        "Go to Settings → Billing → History to download each month's invoice and receipt.",
        10,
    ),
    (
        "en-api-keys",
        "Create an API key",
        "Connect your own systems to send contacts and events.",
        "The key is shown once. Revoke it at once if it leaks, and create a new one.",
        11,
    ),
    (
        "en-ui-language",
        "Change the UI language",
        "Switch the app between Japanese and English.",
        "Use the language switcher at the top of every page; your choice is saved on your profile.",
        5,
    ),
]

# query, the slug that must come first
JAPANESE_QUERIES: list[tuple[str, str]] = [
    ("送信ドメイン認証", "ja-sender-auth"),
    ("DKIM", "ja-sender-auth"),
    ("CSVインポート", "ja-contacts-import"),
    ("配信停止の方法", "ja-unsubscribe"),
    ("メールが届かない", "ja-deliverability"),
    ("パスワードをリセットしたい", "ja-password"),
    ("2段階認証", "ja-two-factor"),
    ("設定", "ja-sender-auth"),  # two characters: in many titles, the most read first
    ("請求書", "ja-invoice"),
    ("領収書", "ja-invoice"),
    ("ステップメール", "ja-step-mail"),
    ("予約配信", "ja-scheduled"),
    ("ABテスト", "ja-ab-test"),
    ("開封率", "ja-open-rate"),
    ("テンプレート", "ja-template"),
    ("プラン変更", "ja-plan"),
    ("クレジットカード", "ja-payment"),
    ("権限", "ja-team"),  # two characters
    ("APIキー", "ja-api-key"),
    ("Webhook", "ja-webhook"),
    ("Gmail 迷惑メール", "ja-spam-folder"),
    ("フォーム埋め込み", "ja-signup-form"),
    ("ダブルオプトイン", "ja-double-opt-in"),
    ("UI", "ja-ui-language"),  # two Latin characters
    ("ＵＩ", "ja-ui-language"),  # full-width, folded by NFKC
    ("解約", "ja-cancel"),  # two characters
    ("エクスポート", "ja-export"),
    ("差出人", "ja-sender-name"),
    ("差し込みタグ", "ja-merge-tags"),
    ("セグメントの作り方", "ja-segments"),
]

# English slug -> the Japanese original it translates: a Japanese search does not list the
# English version of a Japanese article, and an English one does not list the Japanese.
TRANSLATION_OF = {
    "en-sender-auth": "ja-sender-auth",
    "en-import": "ja-contacts-import",
    "en-unsubscribe": "ja-unsubscribe",
    "en-bounces": "ja-deliverability",
    "en-password": "ja-password",
    "en-two-factor": "ja-two-factor",
    "en-segments": "ja-segments",
    "en-automation": "ja-step-mail",
    "en-ab-test": "ja-ab-test",
    "en-invoices": "ja-invoice",
    "en-api-keys": "ja-api-key",
    "en-ui-language": "ja-ui-language",
}

ENGLISH_QUERIES: list[tuple[str, str]] = [
    ("SPF", "en-sender-auth"),
    ("domain authentication", "en-sender-auth"),
    ("import contacts", "en-import"),
    ("csv import", "en-import"),
    ("unsubscribe", "en-unsubscribe"),
    ("bounce", "en-bounces"),
    ("reset password", "en-password"),
    ("how do I reset my password", "en-password"),
    ("two-factor", "en-two-factor"),
    ("segments", "en-segments"),
    ("drip campaign", "en-automation"),
    ("A/B test", "en-ab-test"),
    ("invoice", "en-invoices"),
    ("API KEY", "en-api-keys"),
    ("UI", "en-ui-language"),
]
