"""What the apps' Django admins share: read-only admins for rows only services write, and a count
that does not multiply the rows of a list."""

from __future__ import annotations

from typing import cast

from django.contrib import admin
from django.db.models import Count, IntegerField, Model, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from portal.models import User


def admin_user(request: HttpRequest) -> User:
    """The user of an admin view: the admin site lets only signed-in staff in."""
    return cast(User, request.user)


def count_of(model: type[Model], *, link: str, **filters: object) -> Coalesce:
    """A correlated COUNT(*) subquery: counts without joining (and multiplying) rows of the outer query."""
    counted = (
        model._default_manager.filter(**{link: OuterRef("pk")}, **filters)
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: visible, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
