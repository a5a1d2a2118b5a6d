"""Reachability checks for /healthz."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from kombu import Connection

logger = logging.getLogger(__name__)


def database_status(connection: BaseDatabaseWrapper) -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "unreachable"; the reason goes to the log only
        logger.exception("Health check: database unreachable")
        return "unavailable"
    return "ok"


def broker_status() -> str:
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith("filesystem://"):
            # That transport "connects" to anything: check that its queue folder is usable instead.
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
            if not (folder.is_dir() and os.access(folder, os.W_OK)):
                raise OSError(f"broker folder {folder} is missing or read-only")
        else:
            with Connection(url, connect_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    except Exception:
        logger.exception("Health check: broker unreachable")
        return "unavailable"
    return "ok"
