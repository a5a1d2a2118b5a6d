"""Suggestions beside the ask form on 10,000 help articles: how fast they follow what the customer types.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_suggest_bench .venv/bin/python bench/support_suggest.py \
        [--articles 10000] [--keep] [--slowest 5]

Needs PostgreSQL and a scratch database (its name must contain "bench"; it is created from template0
in UTF-8 if missing, and migrated). Seeds the demo help centre (its categories, synonyms and
articles) and fills it up to --articles published articles, about 60% Japanese and 40% English,
written by ``bench/help_articles.py`` (an article per feature of about eighty, bodies of 300-3,000
characters, one in seven a variant of a demo article), a third of the English ones translations of
Japanese ones; visible to everyone, to signed-in customers, or to one segment.
Their slugs start with "suggest-bench-", so a run replaces them (or reuses them with --keep when the
count matches).

Then types, as customers do in the ask form, the questions of ``tests/faq/customer_questions.py``
and more inquiries written here (subjects, some with a description), in Japanese and English, some
the help centre has no article for: every few characters of the subject (whole words in English),
then of the description, as htmx sends them after a pause. Each of these texts (at least 500) is
measured once, after a warm-up, in two ways, and p50 / p95 / p99 printed for each:

- ``support.selectors.suggestions`` (the help search's ranking, at most five, with snippets);
- ``GET /support/ask/suggest/`` as htmx calls it, through the Django test client signed in as a
  customer of the same language (the whole stack, DEBUG off: session, the ask attempt's update, the
  rendered list).

Then the slowest texts, and EXPLAIN ANALYZE of the slowest one's search query.

How the search finds the articles (``faq.search``): each word of the text is looked up in the GIN
index of the articles' words (``faq_article_words(search_title, search_body) @> ARRAY[word]``,
migration ``faq.0007_article_search_words``), which reads no text; the trigram indexes it replaced
left ``LIKE '% word %'`` thousands of long texts to compare for an everyday word. What the plan
shows for the slowest texts now is the ranking, which compares each word with the texts of every
article found (thousands, for a text whose words are everyday ones).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.help_articles import Writer  # noqa: E402 - beside this script
from bench.scratch import load_average, scratch_url, setup_django  # noqa: E402 - beside this script

PREFIX = "suggest-bench-"
TARGET_P95_MS = 150

# Inquiries as customers write them: a subject, and often a description (language, subject, body).
INQUIRIES: list[tuple[str, str, str]] = [
    (
        "ja",
        "CSVインポートで一部の行がエラーになる",
        "昨日、約3,000件の顧客リストをCSVで取り込みましたが、120件ほどがエラーになりました。エラーの内容を確認して、直してから取り込み直す方法を教えてください。",
    ),
    (
        "ja",
        "テスト配信が届かない",
        "自分のGmailアドレスにテスト配信をしましたが、30分待っても届きません。迷惑メールフォルダにもありませんでした。",
    ),
    (
        "ja",
        "SPFレコードを追加したのに認証が失敗する",
        "DNSにSPFレコードを追加して2日経ちますが、管理画面ではまだ未認証と表示されます。DKIMは設定済みです。",
    ),
    (
        "ja",
        "請求書の宛名を変更したい",
        "経理から、請求書の宛名を正式な会社名に変えてほしいと言われました。過去の請求書も再発行できますか。",
    ),
    (
        "ja",
        "招待したメンバーにメールが届かない",
        "新しく入ったメンバーを招待しましたが、招待メールが届いていないそうです。再送する方法はありますか。",
    ),
    (
        "ja",
        "開封率が急に下がった",
        "先月まで25%前後だった開封率が、今月は10%を切っています。配信内容は大きく変えていません。",
    ),
    (
        "ja",
        "Salesforce連携の同期が止まっている",
        "先週からSalesforceの連絡先が同期されていません。連携画面にはAPI権限がありませんと出ています。",
    ),
    ("ja", "予約配信を取り消したい", "明日9時に予約しているキャンペーンを中止したいです。"),
    (
        "ja",
        "機種変更で二段階認証のコードが使えない",
        "スマートフォンを買い替えたため、認証アプリのコードが使えずログインできません。",
    ),
    ("ja", "ステップメールを途中で止めたい", "特定の顧客だけ、シナリオの途中で配信を止めることはできますか。"),
    ("ja", "LINE公式アカウントと連携したい", "メールとLINEの両方で同じ顧客に配信したいと考えています。"),
    (
        "ja",
        "APIで購買イベントを送ると401になる",
        "管理画面で発行したAPIキーを使ってPOSTしていますが、401が返ってきます。",
    ),
    ("ja", "解約する前にデータを書き出したい", "来月末で解約を考えています。データの書き出しはいつまでできますか。"),
    ("ja", "ダブルオプトインの確認メールの文面を変えたい", ""),
    (
        "ja",
        "ABテストの結果の見方がわからない",
        "件名を2パターンで試しましたが、どちらが勝ったのかレポートで見つけられません。",
    ),
    (
        "ja",
        "SSOを設定したらログインできなくなった",
        "OktaでSAMLの設定を保存したあと、管理者もログインできなくなりました。至急対応をお願いします。",
    ),
    ("ja", "配信停止の人数が増えている", ""),
    ("ja", "テンプレートの画像が表示されない", "Outlookで開くと、テンプレートに入れたロゴ画像が表示されません。"),
    (
        "en",
        "CSV import fails for some rows",
        "I uploaded 2,000 contacts yesterday and about 80 rows failed. How can I see why and import them again?",
    ),
    (
        "en",
        "Test email never arrives",
        "I sent a test to my own address 30 minutes ago and nothing arrived, not even in the spam folder.",
    ),
    (
        "en",
        "DKIM still shows as not verified",
        "We added the DKIM record to our DNS two days ago, but the settings page still says it is not verified.",
    ),
    ("en", "Change the company name on our invoices", "Can you also reissue the invoices of the last three months?"),
    ("en", "Open rate dropped suddenly", "Our open rate went from 25% to under 10% this month."),
    (
        "en",
        "Salesforce sync stopped",
        "Contacts from Salesforce have not synced since last week; the connector says the API user lacks permission.",
    ),
    ("en", "Cancel a scheduled campaign", ""),
    ("en", "Lost my phone with the authenticator app", "I cannot sign in without the two-factor code."),
    ("en", "Webhook deliveries failing", "Our endpoint answers 500 and we want the events sent again."),
    ("en", "Export our data before cancelling", "We are leaving at the end of next month."),
    ("en", "Invite colleagues to our account", ""),
]
# Nothing in the help centre answers these (beside the demo's own unanswered questions).
NO_ARTICLE: list[tuple[str, str, str]] = [
    ("ja", "経費精算の申請方法", ""),
    ("ja", "社内の忘年会の日程", ""),
    ("ja", "ああああ", ""),
    ("en", "recipe for banana bread", ""),
    ("en", "parking at your office", ""),
    ("en", "xyzzy", ""),
]


@dataclass(frozen=True)
class Typed:
    """What the form sends at one pause: the subject and description so far."""

    language: str
    subject: str
    body: str
    question: int  # which question it is a prefix of (one ask attempt each)

    @property
    def text(self) -> str:
        return f"{self.subject} {self.body}".strip()


# --- The articles ----------------------------------------------------------------------------------


def generate(count: int) -> None:
    """The demo help centre, and generated articles up to ``count`` published ones."""
    from django.db import connection, transaction
    from django.utils import timezone

    from faq.demo import seed_help_centre
    from faq.models import Article, Category, Synonym
    from portal.models import Segment

    Article.objects.filter(slug__startswith=PREFIX).delete()
    seed_help_centre(by=None, step_playbooks={})
    demo = Article.objects.filter(status=Article.Status.PUBLISHED).exclude(slug__startswith=PREFIX).count()
    wanted = max(count - demo, 0)
    categories = {c.slug: c for c in Category.objects.all()}
    segments = list(Segment.objects.filter(slug__startswith=PREFIX).order_by("slug"))
    synonyms = Synonym.objects.current()
    rng = random.Random(11)
    now = timezone.now()

    writers = {"ja": Writer("ja", seed=11), "en": Writer("en", seed=12)}

    def article(i: int, language: str) -> tuple[Article, bool]:
        text = writers[language].article()
        roll = rng.random()
        visibility = "public" if roll < 0.55 else "customers" if roll < 0.9 else "segments"
        row = Article(
            kind=text.kind, title=text.title, slug=f"{PREFIX}{i}", language=language,
            category=categories[text.category], summary=text.summary, body=text.body, visibility=visibility,
            status=Article.Status.PUBLISHED, published_at=now, position=rng.randint(1, 500),
            view_count=int(rng.paretovariate(1.2) * 20),
        )  # fmt: skip
        row.index(synonyms=synonyms)  # what save() does, which bulk_create skips
        return row, visibility == "segments"

    began = time.perf_counter()
    ja = [article(i, "ja") for i in range(int(wanted * 0.6))]
    en = [article(i, "en") for i in range(len(ja), wanted)]
    indexed = time.perf_counter() - began
    with transaction.atomic():
        Article.objects.bulk_create([row for row, _ in ja], batch_size=1000)
        # A third of the English articles translate a Japanese one (never two the same one).
        originals = [row.pk for row, _ in ja]
        rng.shuffle(originals)
        for (row, _), original in zip(en[: len(en) // 3], originals, strict=False):
            row.translation_of_id = original
        Article.objects.bulk_create([row for row, _ in en], batch_size=1000)
        through = Article.segments.through
        through.objects.bulk_create(
            [
                through(article_id=row.pk, segment_id=segments[row.pk % len(segments)].pk)
                for row, in_segment in ja + en
                if in_segment
            ],
            batch_size=2000,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE faq_article, faq_article_segments")
    total = Article.objects.filter(status=Article.Status.PUBLISHED).count()
    print(
        f"generated {wanted:,} articles ({len(ja):,} ja, {len(en):,} en, {len(en) // 3:,} of them translations) "
        f"beside {demo} demo ones: {total:,} published; indexing {indexed:.1f} s, "
        f"in all {time.perf_counter() - began:.1f} s"
    )


# --- The customers and what they type ----------------------------------------------------------------


def customers():
    """Two customers of one account (reading in Japanese and in English), the account in the first of
    the bench segments (articles of the second are hidden from them)."""
    from django.utils import timezone

    from portal.models import Account, Membership, Segment, User

    segments = [
        Segment.objects.get_or_create(slug=f"{PREFIX}{slug}", defaults={"name": f"Suggest bench {slug}"})[0]
        for slug in ("smb", "enterprise")
    ]
    account, _ = Account.objects.get_or_create(
        slug=f"{PREFIX}account",
        defaults={"name": "サジェスト株式会社", "segment": segments[0], "contract_start": timezone.now()},
    )
    people = {}
    for language in ("ja", "en"):
        email = f"{PREFIX}{language}@customer.example"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, name=f"Customer {language}", role=User.Role.CUSTOMER
        )
        if user.language != language:
            user.language = language
            user.save(update_fields=["language"])
        Membership.objects.get_or_create(user=user, account=account)
        people[language] = user
    return account, people


def _cuts(text: str, rng: random.Random, *, words: bool) -> list[str]:
    """Where the typist pauses: at word ends (English, now and then inside a word), or every two to
    four characters (Japanese, as the IME commits them); the whole text last."""
    if words:
        ends = [m.end() for m in re.finditer(r"\S+", text)]
        cuts = []
        for end in ends:
            start = text.rfind(" ", 0, end) + 1
            if end - start > 5 and rng.random() < 0.3:
                cuts.append(start + rng.randint(2, end - start - 1))  # paused mid-word
            cuts.append(end)
    else:
        cuts, position = [], 0
        while position < len(text):
            position = min(len(text), position + rng.randint(2, 4))
            cuts.append(position)
    return [text[:cut].strip() for cut in dict.fromkeys(cuts) if text[:cut].strip()]


def typed_texts() -> list[Typed]:
    from tests.faq.customer_questions import QUESTIONS, UNANSWERED

    rng = random.Random(5)
    questions = [(lang, q, "") for q, lang, _ in QUESTIONS] + [(lang, q, "") for q, lang in UNANSWERED]
    questions += INQUIRIES + NO_ARTICLE
    texts: dict[tuple[str, str, str], Typed] = {}
    for number, (language, subject, body) in enumerate(questions):
        words = language == "en"
        for prefix in _cuts(subject, rng, words=words):
            texts.setdefault((language, prefix, ""), Typed(language, prefix, "", number))
        if body:
            cuts = _cuts(body, rng, words=True) if words else _sentences(body)
            for prefix in cuts:
                texts.setdefault((language, subject, prefix), Typed(language, subject, prefix, number))
    return list(texts.values())


def _sentences(body: str) -> list[str]:
    """A Japanese description typed on: at each 、 and 。 and every 12 characters between."""
    cuts = [m.end() for m in re.finditer(r"[、。]", body)]
    cuts += [*range(12, len(body), 12), len(body)]
    return [body[:cut] for cut in sorted(set(cuts))]


# --- Measuring -------------------------------------------------------------------------------------


def percentiles(times: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return statistics.median(times), cuts[94], cuts[98]


def report(name: str, groups: dict[str, list[float]]) -> None:
    print(f"\n{name}")
    print(f"  {'texts':<26} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for group, times in groups.items():
        if len(times) < 2:
            continue
        p50, p95, p99 = percentiles(times)
        print(f"  {group:<26} {len(times):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {max(times):>8.1f}")


def measure(texts: list[Typed], people: dict, account, slowest: int) -> None:
    from django.db import connection
    from django.db.models import Count, Window
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from faq.search import search_articles
    from support import services
    from support.selectors import suggestions

    for typed in texts[:40]:  # warm-up: Sudachi's dictionary, the database's caches
        suggestions(text=typed.text, user=people[typed.language], language=typed.language)

    selector: list[tuple[float, int, Typed]] = []
    for typed in texts:
        began = time.perf_counter()
        found = suggestions(text=typed.text, user=people[typed.language], language=typed.language)
        selector.append(((time.perf_counter() - began) * 1000, len(found), typed))

    clients = {}
    for language, user in people.items():
        clients[language] = Client()
        clients[language].force_login(user)
    url = reverse("support:suggest")
    attempts: dict[int, int] = {}
    endpoint: list[float] = []
    counts: set[int] = set()
    for typed in texts:
        if typed.question not in attempts:
            user = people[typed.language]
            attempts[typed.question] = services.attempt_start(account=account, user=user).pk
        params = {"subject": typed.subject, "body": typed.body, "attempt": attempts[typed.question]}
        client = clients[typed.language]
        if len(counts) < 3 and typed.body:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, params, HTTP_HX_REQUEST="true", secure=True)
            counts.add(len(captured.captured_queries))
        began = time.perf_counter()
        response = client.get(url, params, HTTP_HX_REQUEST="true", secure=True)
        endpoint.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (response.status_code, typed)

    hits = {id(t): n for _, n, t in selector}
    nothing = sum(1 for _, n, _ in selector if n == 0)
    print(
        f"\n{len(texts)} typed texts from {len(attempts)} questions: "
        f"{sum(t.language == 'ja' for t in texts)} Japanese, {sum(t.language == 'en' for t in texts)} English, "
        f"{sum(bool(t.body) for t in texts)} with a description; {nothing} found nothing"
    )

    def grouped(times: list[float]) -> dict[str, list[float]]:
        groups: dict[str, list[float]] = {"all": times, "Japanese": [], "English": [], "found nothing": []}
        groups["with a description"] = []
        for elapsed, typed in zip(times, texts, strict=True):
            groups["Japanese" if typed.language == "ja" else "English"].append(elapsed)
            if typed.body:
                groups["with a description"].append(elapsed)
            if hits[id(typed)] == 0:
                groups["found nothing"].append(elapsed)
        return groups

    report("support.selectors.suggestions (what the ask page and the endpoint call)", grouped([s[0] for s in selector]))
    report("GET /support/ask/suggest/ (htmx, signed in, DEBUG off; whole stack)", grouped(endpoint))
    print(f"  queries per request: {sorted(counts)}")

    p95 = percentiles([s[0] for s in selector])[1]
    p95_endpoint = percentiles(endpoint)[1]
    verdict = "met" if max(p95, p95_endpoint) <= TARGET_P95_MS else "MISSED"
    print(f"\ntarget p95 <= {TARGET_P95_MS} ms: {verdict} (selector {p95:.1f} ms, endpoint {p95_endpoint:.1f} ms)")

    ranked = sorted(selector, key=lambda s: s[0], reverse=True)[:slowest]
    print(f"\nthe {len(ranked)} slowest texts (selector):")
    for elapsed, found, typed in ranked:
        print(f"  {elapsed:7.1f} ms  {found} found  ({typed.language}) {typed.text[:70]!r}")
    if ranked:
        elapsed, _, typed = ranked[0]
        articles = search_articles(typed.text, user=people[typed.language], language=typed.language)
        plan = articles.defer("body").annotate(total=Window(Count("pk")))[:5].explain(analyze=True, buffers=True)
        print(f"\nEXPLAIN ANALYZE of the slowest ({typed.text[:70]!r}):\n{plan}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        print(f"\ndatabase ctype: {cursor.fetchone()[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="reuse the generated articles when their count matches")
    parser.add_argument("--slowest", type=int, default=5, help="how many of the slowest texts to list")
    args = parser.parse_args()
    if args.articles < 1:
        sys.exit("--articles must be at least 1.")

    url = scratch_url("bench/support_suggest.py", "measures the ask form's suggestions", "kachi_suggest_bench")
    setup_django(url)
    from faq.models import Article

    account, people = customers()
    published = Article.objects.filter(status=Article.Status.PUBLISHED).count()
    if args.keep and published == args.articles and Article.objects.filter(slug__startswith=PREFIX).exists():
        print(f"reusing {published:,} published articles")
    else:
        generate(args.articles)
    texts = typed_texts()
    print(f"load average before: {load_average()}")
    measure(texts, people, account, args.slowest)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
