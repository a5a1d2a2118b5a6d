"""``manage.py rebuild_search_index`` and the migration that fills the index of existing articles."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection

from faq.models import Article
from faq.search import search_articles
from tests.factories import ArticleFactory, SynonymFactory

pytestmark = pytest.mark.django_db


def found(query: str) -> list[str]:
    return [a.slug for a in search_articles(query, user=AnonymousUser(), language="ja")]


def test_the_command_indexes_every_article_again_with_the_synonyms_of_now(capsys: pytest.CaptureFixture) -> None:
    ArticleFactory(slug="cancel", title="アカウントを解約する", visibility="public")
    ArticleFactory(slug="invoice", title="請求書", visibility="public")
    SynonymFactory(words="退会, 解約")  # added without the admin: the articles do not know it yet
    Article.objects.filter(slug="invoice").update(search_title="", search_body="")
    assert found("退会") == [] and found("請求書") == []

    call_command("rebuild_search_index")

    assert found("退会") == ["cancel"] and found("請求書") == ["invoice"]
    assert "2 articles indexed." in capsys.readouterr().out


def test_the_migration_fills_the_index_of_the_articles_there_are() -> None:
    ArticleFactory(slug="two-factor", title="2段階認証を有効にする", visibility="public")
    Article.objects.update(search_title="", search_body="")
    assert found("二段階認証") == []
    migration = importlib.import_module("faq.migrations.0006_build_search_index")

    migration.build(apps, SimpleNamespace(connection=connection))  # all the migration reads of its editor

    assert found("二段階認証") == ["two-factor"]
