"""Production settings plus one bare view, for bench/http.py only (never a product URL).

The bare view answers through every middleware of the product, so the pages' figures read as a
share of what Django itself can serve on this machine."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
