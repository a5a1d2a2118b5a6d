"""Small overrides for the test suite on top of the one settings module."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("KACHI_ANNOUNCE_DEFAULTS", "0")
# Tests get their own filesystem-broker folder, so a `make run` worker never takes their tasks.
os.environ.setdefault("BROKER_FOLDER", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test-broker"))

from portal.settings import *  # noqa: F403
from portal.settings import BASE_DIR, CACHES, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if os.environ.get("KACHI_TEST_EMAIL_DIR"):
    # A worker started by a test writes its e-mails where the test can read them.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["KACHI_TEST_EMAIL_DIR"]
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process unless a test starts a real worker (tests/portal/test_tasks.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: a Celery worker in another process must see the same data.
    # One file per test run, so runs side by side do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}

# The replica is a mirror of the test database, there with or without DATABASE_REPLICA_URL; reads go
# to it only in the tests that turn DATABASE_READ_REPLICA on (tests/portal/test_db_router.py).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {**DATABASES["default"].get("TEST", {}), "MIRROR": "default"}}
DATABASE_READ_REPLICA = None

# Attachments of one test run go to a folder of their own.
STORAGES["support"]["OPTIONS"]["location"] = str(BASE_DIR / "var" / f"test-support-{os.getpid()}")  # noqa: F405

# One process's memory unless the run names a Redis server (REDIS_URL): then the real backend, which
# the suite empties before every test (tests/conftest.py).
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kachi-tests"}}
