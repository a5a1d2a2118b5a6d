"""The agents' queue (/support/desk/) at 50,000 inquiries of 2,000 accounts: server time, queries, plan.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_queue_bench .venv/bin/python bench/support_queue.py \
        [--inquiries 50000] [--accounts 2000] [--repeat 50] [--keep]

Needs PostgreSQL and a scratch database (its name must contain "bench"; it is created from template0
in UTF-8 if missing, and migrated). Generates --accounts accounts with a customer each, eight support
agents and one CS manager (with 40 of the accounts), six inquiry categories, and --inquiries
inquiries over the last year with their reply clocks as the desk's services leave them: 3% owed a
reply (new ones with the first-reply clock, open ones with the next-reply clock after a customer's
reply; about a third of them past their target, some past the fast reply, some three quarters
through), 5% waiting on the customer (most after a reply, a few paused), 12% solved and 80% closed
(with the first reply's outcome kept), newer ones more often open. Their accounts' slugs start with
"queue-bench-", so a run replaces them (or reuses them with --keep when the counts match).

Then, signed in as an agent through the Django test client (DEBUG off, the whole stack), requests
each variant of the queue --repeat times after a warm-up: the default (owed a reply) and its second
page, each "show" filter, the assignee, priority, category and text filters, and the CS manager's
queue; and prints p50 / p95 server time (and the p50 of this process's CPU time: Django and the
templates, which other work on the machine slows less), the queries per page (the same for every
variant but the category and text filters, which look up their category or accounts first, or the
page has an N+1), the rows shown, and EXPLAIN ANALYZE of the default page's query and of its count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.scratch import load_average, scratch_url, setup_django  # noqa: E402 - beside this script

PREFIX = "queue-bench-"
TARGET_P50_MS = 100
SUBJECTS = [
    "CSVインポートで一部の行がエラーになる",
    "テスト配信が届かない",
    "SPFレコードを追加したのに認証が失敗する",
    "請求書の宛名を変更したい",
    "招待したメンバーにメールが届かない",
    "開封率が急に下がった",
    "Salesforce連携の同期が止まっている",
    "予約配信を取り消したい",
    "機種変更で二段階認証のコードが使えない",
    "ステップメールを途中で止めたい",
    "APIで購買イベントを送ると401になる",
    "SSOを設定したらログインできなくなった",
    "CSV import fails for some rows",
    "Test email never arrives",
    "DKIM still shows as not verified",
    "Change the company name on our invoices",
    "Salesforce sync stopped",
    "Webhook deliveries failing",
]
STEPS = ["connect-data", "sender-domain", "first-campaign", "invite-team", "security-review"]


def generate(*, inquiries: int, accounts: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from portal.models import Account, Membership, Segment, User
    from support.models import Category, Inquiry, Priority, default_business_clock

    began = time.perf_counter()
    rng = random.Random(3)
    now = timezone.now()
    with transaction.atomic():
        Inquiry.objects.filter(account__slug__startswith=PREFIX).delete()
        Membership.objects.filter(account__slug__startswith=PREFIX).delete()
        Account.objects.filter(slug__startswith=PREFIX).delete()
        User.objects.filter(email__startswith=PREFIX).delete()
        segment, _ = Segment.objects.get_or_create(slug=f"{PREFIX}smb", defaults={"name": "Queue bench SMB"})
        agents = [
            User.objects.create_user(f"{PREFIX}agent{i}@kachi.example", name=f"Agent {i:02}", role=User.Role.AGENT)
            for i in range(8)
        ]
        csm = User.objects.create_user(f"{PREFIX}csm@kachi.example", name="Queue CSM", role=User.Role.CSM)
        plans = [choice.value for choice in Account.Plan]
        rows = Account.objects.bulk_create(
            [
                Account(
                    name=f"キュー商事 {i:04}",
                    slug=f"{PREFIX}{i:04}",
                    segment=segment,
                    plan=rng.choice(plans),
                    contract_start=now - dt.timedelta(days=rng.randint(30, 900)),
                    csm=csm if i < 40 else None,
                )
                for i in range(accounts)
            ],
            batch_size=1000,
        )
        customers = User.objects.bulk_create(
            [User(email=f"{PREFIX}customer{i:04}@customer.example", name=f"顧客 {i:04}") for i in range(accounts)],
            batch_size=1000,
        )
        Membership.objects.bulk_create(
            [Membership(account=a, user=u) for a, u in zip(rows, customers, strict=True)], batch_size=1000
        )
        categories = []
        for i, (name, name_en) in enumerate(
            [
                ("使い方", "How to"),
                ("不具合", "Bug"),
                ("請求", "Billing"),
                ("連携", "Integrations"),
                ("到達率", "Deliverability"),
                ("セキュリティ", "Security"),
            ]
        ):
            category, _ = Category.objects.get_or_create(
                slug=f"{PREFIX}{i}", defaults={"name": name, "name_en": name_en, "position": i}
            )
            categories.append(category)
        business = default_business_clock()
        batch: list[Inquiry] = []
        priorities = [Priority.NORMAL] * 14 + [Priority.HIGH] * 3 + [Priority.LOW] * 2 + [Priority.URGENT]
        for _ in range(inquiries):
            roll = rng.random()
            if roll < 0.03:
                state, age = "owed", dt.timedelta(hours=rng.uniform(0.1, 72))
            elif roll < 0.08:
                state, age = "waiting", dt.timedelta(days=rng.uniform(0.5, 14))
            elif roll < 0.20:
                state, age = "solved", dt.timedelta(days=rng.uniform(1, 30))
            else:
                state, age = "closed", dt.timedelta(days=rng.uniform(3, 365))
            i = rng.randrange(accounts)
            created = now - age
            inquiry = Inquiry(
                account=rows[i], author=customers[i], subject=rng.choice(SUBJECTS), body="…",
                category=rng.choice(categories) if rng.random() < 0.8 else None, priority=rng.choice(priorities),
                assignee=rng.choice(agents) if state != "owed" or rng.random() < 0.6 else None,
                created_at=created, updated_at=created, fast_minutes=60, first_reply_minutes=24 * 60,
                next_reply_minutes=24 * 60,
            )  # fmt: skip
            if rng.random() < 0.2:
                inquiry.playbook_key, inquiry.step_key = "onboarding", rng.choice(STEPS)
            replied = created + dt.timedelta(minutes=rng.uniform(5, 30 * 60))
            if state == "owed":
                first = rng.random() < 0.7 or age < dt.timedelta(hours=2)
                inquiry.status = Inquiry.Status.NEW if first else Inquiry.Status.OPEN
                since = created if first else now - dt.timedelta(hours=rng.uniform(0.05, 30))
                since = min(since, now)
                inquiry.clock = Inquiry.Clock.FIRST if first else Inquiry.Clock.NEXT
                inquiry.clock_running_since = since
                inquiry.due_at = since + dt.timedelta(hours=24)
                inquiry.warn_at = since + dt.timedelta(hours=18)
                if first:
                    inquiry.fast_due_at = business.add(since, dt.timedelta(minutes=60))
                    inquiry.fast_warn_at = business.add(since, dt.timedelta(minutes=45))
                else:
                    inquiry.first_replied_at = min(replied, since)
                inquiry.updated_at = since
            else:
                inquiry.first_replied_at = replied
                inquiry.first_reply_seconds = (replied - created).total_seconds()
                inquiry.first_reply_business_seconds = business.between(created, replied).total_seconds()
                inquiry.first_reply_fast = inquiry.first_reply_business_seconds <= 3600
                inquiry.first_reply_in_target = inquiry.first_reply_seconds <= 24 * 3600
                inquiry.status = state
                inquiry.updated_at = min(now, replied + dt.timedelta(hours=rng.uniform(0, 72)))
                if state == "waiting" and rng.random() < 0.2:  # paused by hand, the clock kept
                    inquiry.clock = Inquiry.Clock.NEXT
                    inquiry.clock_used_seconds = rng.uniform(600, 20_000)
                    inquiry.clock_used_business_seconds = inquiry.clock_used_seconds / 2
                if state in ("solved", "closed"):
                    inquiry.solved_at = inquiry.updated_at
            batch.append(inquiry)
            if len(batch) == 5000:
                Inquiry.objects.bulk_create(batch)
                batch = []
        Inquiry.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE support_inquiry, portal_account, portal_user")
    print(f"generated {inquiries:,} inquiries of {accounts:,} accounts in {time.perf_counter() - began:.1f} s")


def percentile(times: list[float], p: int) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[p - 1]


def measure(repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portal.models import User
    from support import desk_views
    from support.forms import QueueFilterForm
    from support.models import Category, Inquiry

    agent = User.objects.get(email=f"{PREFIX}agent0@kachi.example")
    csm = User.objects.get(email=f"{PREFIX}csm@kachi.example")
    category = Category.objects.get(slug=f"{PREFIX}1")
    counts = {
        status: Inquiry.objects.filter(account__slug__startswith=PREFIX, status=status).count()
        for status in Inquiry.Status.values
    }
    late = Inquiry.objects.filter(account__slug__startswith=PREFIX, due_at__lt=time_now()).count()
    print(
        "inquiries: " + ", ".join(f"{status} {n:,}" for status, n in counts.items()) + f"; past their target {late:,}"
    )

    variants = [
        ("owed a reply (default)", agent, {}),
        ("owed, page 2", agent, {"page": "2"}),
        ("waiting on the customer", agent, {"show": "waiting"}),
        ("solved or closed", agent, {"show": "done"}),
        ("solved or closed, page 2", agent, {"show": "done", "page": "2"}),
        ("all", agent, {"show": "all"}),
        ("all, page 100", agent, {"show": "all", "page": "100"}),
        ("assigned to me", agent, {"assignee": "me"}),
        ("assigned to nobody", agent, {"assignee": "none"}),
        ("urgent", agent, {"priority": "urgent"}),
        ("a category", agent, {"category": str(category.pk)}),
        ("text 'CSV', all", agent, {"show": "all", "q": "CSV"}),
        ("CS manager (40 accounts)", csm, {}),
    ]
    clients = {}
    for user in (agent, csm):
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)
    print(f"\n/support/desk/ signed in, DEBUG off, {repeat} requests per variant after a warm-up")
    # cpu: this process's own time (Django and the templates), which other work on the machine slows less
    print(f"  {'variant':<28} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8} {'queries':>8} {'rows':>6}")
    medians = []
    for name, user, params in variants:
        client = clients[user.pk]
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/support/desk/", params, secure=True)
            queries = len(captured.captured_queries)  # read now: the request's end empties the log
        assert response.status_code == 200, (name, response.status_code)
        rows = response.content.count(b'type="checkbox" name="inquiries"')
        for _ in range(2):
            client.get("/support/desk/", params, secure=True)
        times, cpu = [], []
        for _ in range(repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            client.get("/support/desk/", params, secure=True)
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        p50 = statistics.median(times)
        medians.append(p50)
        p95, cpu50 = percentile(times, 95), statistics.median(cpu)
        print(f"  {name:<28} {p50:>8.1f} {p95:>8.1f} {cpu50:>8.1f} {queries:>8} {rows:>6}")
    verdict = "met" if max(medians) <= TARGET_P50_MS else "MISSED"
    print(f"\ntarget p50 <= {TARGET_P50_MS} ms for every variant: {verdict} (slowest p50 {max(medians):.1f} ms)")

    request = SimpleNamespace(user=agent)
    form = QueueFilterForm({})
    inquiries = desk_views._filtered(request, form)  # the page's own query
    page = inquiries[: desk_views.QUEUE_PAGE]
    print(f"\nEXPLAIN ANALYZE of the default page's query:\n{page.explain(analyze=True, buffers=True)}")
    with CaptureQueriesContext(connection) as captured:
        inquiries.count()  # as the paginator asks it
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {captured.captured_queries[0]['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"\nEXPLAIN ANALYZE of its count ({captured.captured_queries[0]['sql']}):\n{plan}")
    done = desk_views._filtered(request, QueueFilterForm({"show": "done"}))[: desk_views.QUEUE_PAGE]
    print(f"\nEXPLAIN ANALYZE of the 'solved or closed' page's query:\n{done.explain(analyze=True, buffers=True)}")


def time_now():
    from django.utils import timezone

    return timezone.now()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inquiries", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="reuse the generated inquiries when their count matches")
    args = parser.parse_args()
    if args.accounts < 40 or args.inquiries < 1 or args.repeat < 2:
        sys.exit("--accounts must be at least 40, --inquiries at least 1 and --repeat at least 2.")

    url = scratch_url("bench/support_queue.py", "measures the support queue", "kachi_queue_bench")
    setup_django(url, static=True)
    from support.models import Inquiry

    existing = Inquiry.objects.filter(account__slug__startswith=PREFIX).count()
    if args.keep and existing == args.inquiries:
        print(f"reusing {existing:,} generated inquiries")
    else:
        generate(inquiries=args.inquiries, accounts=args.accounts)
    print(f"load average before: {load_average()}")
    measure(args.repeat)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
