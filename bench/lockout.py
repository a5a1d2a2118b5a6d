"""The sign-in lockout under a distributed guessing attack: 10,000 wrong passwords against one login.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_lockout_bench .venv/bin/python bench/lockout.py \
        [--attempts 10000] [--others 20]

Needs PostgreSQL and a scratch database (its name must contain "bench"; it is created from
template0 in UTF-8 if missing, and migrated). Makes a target login and --others neighbours (their
addresses start with "lockout-bench-", so a run replaces them and their sign-in records), then
posts --attempts wrong passwords for the target to /login/ with django.test.Client in-process
(every middleware, the form, axes and the authentication backends), each from its own client
address and with the e-mail address in a rotating letter case. Runs with DEBUG off, like
production (Argon2 passwords).

Prints the attempts and their answers, whether the target is paused (its right password from a
fresh address), how many neighbours are paused (each signs in with its right password from the
attacker's last address and from a fresh one; must be 0), and the attempts per second. The logins
and their sign-in records are deleted at the end.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_url, setup_django  # noqa: E402 - beside this script

PREFIX = "lockout-bench-"
PASSWORD = "bench-right-password"  # noqa: S105 - a throw-away login on a scratch database
FRESH_ADDRESS = "203.0.113.200"


def spelling(email: str, n: int) -> str:
    """The address in one of four letter cases, with the blank a careless paste adds to every third."""
    cased = [email, email.upper(), email.title(), email.capitalize()][n % 4]
    return f" {cased} " if n % 3 == 0 else cased


def address(n: int) -> str:
    """A distinct client address per attempt (10.0.0.1 onwards)."""
    n += 1
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=20)
    args = parser.parse_args()
    url = scratch_url("bench/lockout.py", "attacks sign-in on PostgreSQL", "kachi_lockout_bench")
    setup_django(url, static=True)
    # axes and Django log a warning per failure; ten thousand of them would bury the figures.
    logging.getLogger("axes").setLevel(logging.ERROR)
    logging.getLogger("django.request").setLevel(logging.ERROR)

    from axes.models import AccessAttempt, AccessLog
    from django.contrib.auth.hashers import make_password
    from django.test import Client

    from portal.models import User

    User.objects.filter(email__startswith=PREFIX).delete()
    AccessAttempt.objects.filter(username__startswith=PREFIX).delete()
    AccessLog.objects.filter(username__startswith=PREFIX).delete()
    password_hash = make_password(PASSWORD)
    target = User(email=f"{PREFIX}target@kachi.example", password=password_hash, role=User.Role.CSM)
    others = [
        User(email=f"{PREFIX}{n}@kachi.example", password=password_hash, role=User.Role.CSM) for n in range(args.others)
    ]
    User.objects.bulk_create([target, *others])

    def sign_in(email: str, password: str, client_address: str, client: Client | None = None) -> int:
        client = client or Client()
        data = {"username": email, "password": password}
        return client.post("/login/", data, secure=True, REMOTE_ADDR=client_address).status_code

    # One client for the attacker (a new one loads every middleware, and WhiteNoise scans the static
    # files), its cookies dropped before each attempt: what the lockout sees changes every time.
    attacker = Client()
    answers: Counter[int] = Counter()
    began = time.perf_counter()
    for n in range(args.attempts):
        attacker.cookies.clear()
        answers[sign_in(spelling(target.email, n), "wrong-password", address(n), attacker)] += 1
    seconds = time.perf_counter() - began

    target_paused = sign_in(target.email, PASSWORD, FRESH_ADDRESS) == 429
    last_address = address(args.attempts - 1)
    others_paused = sum(
        1
        for user in others
        if sign_in(user.email, PASSWORD, last_address) != 302 or sign_in(user.email, PASSWORD, FRESH_ADDRESS) != 302
    )
    counted_against = sorted(
        set(AccessAttempt.objects.filter(username__startswith=PREFIX).values_list("username", flat=True))
    )
    User.objects.filter(email__startswith=PREFIX).delete()
    AccessAttempt.objects.filter(username__startswith=PREFIX).delete()
    AccessLog.objects.filter(username__startswith=PREFIX).delete()

    print(f"attempts:                {args.attempts:,} from {args.attempts:,} addresses, 4 letter cases")
    print(f"answers:                 {', '.join(f'{count:,} x {status}' for status, count in sorted(answers.items()))}")
    print(f"target paused:           {'yes' if target_paused else 'NO'}")
    print(f"other logins paused:     {others_paused} of {len(others)}")
    print(f"failures counted against: {', '.join(counted_against)}")
    print(f"attempts per second:     {args.attempts / seconds:,.0f} ({seconds:.1f} s)")
    if not target_paused or others_paused or counted_against != [target.email]:
        sys.exit("the lockout did not hold")


if __name__ == "__main__":
    main()
