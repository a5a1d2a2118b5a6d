"""Help-centre search on 10,000 articles: latency of Japanese and English queries, and the plan.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_search_bench .venv/bin/python bench/search.py \
        [--articles 10000] [--repeat 20] [--keep]

Needs PostgreSQL and a scratch database (its name must contain "bench"; it is created from
template0 in UTF-8 if missing, and migrated). Generates --articles published public articles, about
60% Japanese and 40% English, with realistic lengths (titles of 10-40 characters, bodies of
300-3,000 characters) made of help-centre sentences of an e-mail marketing product; their slugs
start with "search-bench-", so a run replaces them (or reuses them with --keep when the count
matches).

Then, for queries of 3+ characters and of 1-2 characters, in Japanese and English, measures
``faq.search.search_results`` as the search page calls it (the ranked query with its total, the first
50 hits with highlighted snippets) --repeat times each after one warm-up, and prints p50 and p95 per
group; then EXPLAIN ANALYZE of a query, and whether it uses the GIN index of the articles' words
(``faq_article_search_words``, migration ``faq.0007_article_search_words``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_url, setup_django  # noqa: E402 - beside this script

PREFIX = "search-bench-"
JA_TOPICS = [
    "送信ドメイン認証",
    "配信停止",
    "CSVインポート",
    "ステップメール",
    "予約配信",
    "開封率",
    "クリック率",
    "テンプレート",
    "セグメント",
    "請求書",
    "APIキー",
    "Webhook",
    "差出人アドレス",
    "バウンス",
    "迷惑メール",
    "2段階認証",
    "チームメンバー",
    "登録フォーム",
    "ABテスト",
    "ダブルオプトイン",
]
JA_VERBS = ["を設定する", "を確認する", "を変更する", "の仕組み", "が使えない", "のよくある質問", "を改善する"]
JA_SENTENCES = [
    "管理画面の「設定」から{t}の画面を開きます。",
    "{t}は、配信の前に必ず確認してください。",
    "うまくいかない場合は、ブラウザを再読み込みしてからもう一度お試しください。",
    "変更は保存した時点で反映され、以後の配信に使われます。",
    "権限のないメンバーには、このメニューは表示されません。",
    "詳しくは「{t}」のチュートリアルもご覧ください。",
    "配信レポートでは、開封とクリックの推移を日ごとに確認できます。",
    "エラーが続く場合は、画面の右下からサポートにお問い合わせください。",
    "{t}の設定には、管理者の権限が必要です。",
    "UIの表示言語は、プロフィールで切り替えられます。",
    "解約後30日間は、データを書き出せます。",
]
EN_TOPICS = [
    "domain authentication",
    "unsubscribe links",
    "contact import",
    "drip campaigns",
    "scheduled sends",
    "open rates",
    "templates",
    "segments",
    "invoices",
    "API keys",
    "webhooks",
    "sender address",
    "bounces",
    "spam folder",
    "two-factor authentication",
    "team members",
    "signup forms",
    "A/B tests",
]
EN_PREFIXES = ["How to set up", "Troubleshooting", "Understanding", "Change your", "FAQ about", "Get started with"]
EN_SENTENCES = [
    "Open Settings and choose {t} to get started.",
    "Check {t} before you send a campaign to a large list.",
    "If nothing changes, reload the page and try again.",
    "Changes apply as soon as you save them and affect every later send.",
    "Members without the admin role do not see this menu.",
    "See the tutorial about {t} for a step-by-step walkthrough.",
    "The campaign report shows opens and clicks per day.",
    "If the error persists, contact support from the bottom-right corner of any page.",
    "You need the admin role to change {t}.",
    "The UI language can be changed on your profile.",
]
QUERIES = {
    "ja, 3+ characters": [
        ("送信ドメイン認証", "ja"),
        ("配信停止", "ja"),
        ("メールが届かない", "ja"),
        ("CSVインポート", "ja"),
        ("ダブルオプトイン", "ja"),
        ("請求書", "ja"),
    ],
    "en, 3+ characters": [
        ("unsubscribe", "en"),
        ("domain authentication", "en"),
        ("import contacts", "en"),
        ("webhooks", "en"),
    ],
    "1-2 characters": [("設定", "ja"), ("権限", "ja"), ("解約", "ja"), ("UI", "en")],
}
EXPLAINED = ("ダブルオプトイン", "ja")


def _text(rng: random.Random, sentences: list[str], topic: str, low: int, high: int, joiner: str) -> str:
    target = rng.randint(low, high)
    paragraphs: list[str] = []
    length = 0
    while length < target:
        paragraph = joiner.join(rng.choice(sentences).format(t=topic) for _ in range(rng.randint(2, 5)))
        if rng.random() < 0.3:
            paragraph = f"## {topic}\n\n{paragraph}"
        paragraphs.append(paragraph)
        length += len(paragraph)
    return "\n\n".join(paragraphs)


def generate(count: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from faq.models import Article, Category, Synonym

    Article.objects.filter(slug__startswith=PREFIX).delete()
    names = {"name": "メール配信", "name_en": "Email"}
    category, _ = Category.objects.get_or_create(slug=f"{PREFIX}mail", defaults=names)
    rng = random.Random(7)
    now = timezone.now()
    synonyms = Synonym.objects.current()
    articles = []
    for i in range(count):
        if rng.random() < 0.6:
            topic = rng.choice(JA_TOPICS)
            title = f"{topic}{rng.choice(JA_VERBS)}"
            body = _text(rng, JA_SENTENCES, topic, 300, 2000, "")
            language = "ja"
        else:
            topic = rng.choice(EN_TOPICS)
            title = f"{rng.choice(EN_PREFIXES)} {topic}"
            body = _text(rng, EN_SENTENCES, topic, 500, 3000, " ")
            language = "en"
        articles.append(
            Article(
                kind=rng.choice(["faq", "tutorial"]),
                title=title,
                slug=f"{PREFIX}{i}",
                language=language,
                category=category,
                summary=body.split("\n\n")[0].lstrip("# ")[:120],
                body=body,
                visibility="public",
                status="published",
                published_at=now,
                view_count=rng.randint(0, 500),
            )
        )
    for article in articles:
        article.index(synonyms=synonyms)  # what save() does, which bulk_create skips
    Article.objects.bulk_create(articles, batch_size=1000)
    with connection.cursor() as cursor:
        # As autovacuum leaves it: right after a bulk insert, the GIN index's pending list makes
        # PostgreSQL price the index far above a scan of the table, and read the table.
        cursor.execute("VACUUM ANALYZE faq_article")


def measure(repeat: int) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    from faq.search import search_articles, search_results

    anonymous = AnonymousUser()
    print(f"\nsearch_results(query, limit=50) as the search page calls it, {repeat} runs per query after a warm-up")
    print(f"{'group':<22} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8}   hits per query")
    for group, queries in QUERIES.items():
        times: list[float] = []
        totals: list[str] = []
        for query, language in queries:
            found = search_results(query, user=anonymous, language=language, limit=50)  # warm-up
            totals.append(f"{query}={found.total}")
            for _ in range(repeat):
                start = time.perf_counter()
                search_results(query, user=anonymous, language=language, limit=50)
                times.append((time.perf_counter() - start) * 1000)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{group:<22} {len(queries):>7} {statistics.median(times):>8.1f} {p95:>8.1f}   {', '.join(totals)}")

    query, language = EXPLAINED
    plan = search_articles(query, user=anonymous, language=language).explain(analyze=True)
    print(f"\nEXPLAIN ANALYZE of the search for {query!r} ({language}):\n{plan}")
    if "faq_article_search_words" in plan:
        print("\nThe GIN index of the articles' words is used: faq_article_search_words.")
    else:
        print("\nTHE GIN INDEX OF THE ARTICLES' WORDS IS NOT USED by this plan (see above).")
    with connection.cursor() as cursor:
        cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        print(f"database ctype: {cursor.fetchone()[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse the generated articles when their count matches")
    args = parser.parse_args()
    if args.articles < 1 or args.repeat < 2:
        sys.exit("--articles must be at least 1 and --repeat at least 2.")

    url = scratch_url("bench/search.py", "measures the PostgreSQL help search", "kachi_search_bench")
    setup_django(url)
    from faq.models import Article

    existing = Article.objects.filter(slug__startswith=PREFIX).count()
    if args.keep and existing == args.articles:
        print(f"reusing {existing} generated articles")
    else:
        start = time.perf_counter()
        generate(args.articles)
        print(f"generated {args.articles} articles in {time.perf_counter() - start:.1f} s")
    measure(args.repeat)


if __name__ == "__main__":
    main()
