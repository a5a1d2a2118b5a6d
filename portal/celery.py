"""The Celery application. Workers: ``celery -A portal worker``; schedules: ``celery -A portal beat``."""

from __future__ import annotations

import os
from typing import TypedDict

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("kachi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class RetryPolicy(TypedDict):
    autoretry_for: tuple[type[Exception], ...]
    retry_backoff: bool
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


# Every task retries a few times with exponential backoff, then fails for good.
RETRY_POLICY: RetryPolicy = {
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}
