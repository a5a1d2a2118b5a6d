from __future__ import annotations

from rest_framework import serializers

from portal.models import Account, User


class SearchTextField(serializers.CharField):
    """Words to search for, as typed: NUL characters (no database stores them) are dropped, not refused."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def to_internal_value(self, data: object) -> str:
        if isinstance(data, str):
            data = data.replace("\x00", "")
        return super().to_internal_value(data)  # type: ignore[arg-type]


class AccountQuery(serializers.Serializer):
    q = SearchTextField(help_text="Search in name and slug.")
    segment = serializers.SlugField(required=False, help_text="A segment's slug.")
    status = serializers.ChoiceField(choices=Account.Status.choices, required=False)


class SegmentRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class AccountSerializer(serializers.ModelSerializer):
    segment = SegmentRefSerializer()
    csm = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "slug",
            "name",
            "external_id",
            "domain",
            "segment",
            "plan",
            "status",
            "contract_start",
            "churned_at",
            "investment_amount",
            "csm",
        ]

    def get_csm(self, account: Account) -> dict | None:
        if account.csm is None:
            return None
        return {"name": account.csm.get_full_name(), "email": account.csm.email}


class MeSerializer(serializers.ModelSerializer):
    account = serializers.SerializerMethodField()
    customer_role = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["email", "name", "role", "customer_role", "account", "language", "time_zone"]

    def get_account(self, user: User) -> str | None:
        membership = getattr(user, "membership", None)
        return membership.account.slug if membership else None

    def get_customer_role(self, user: User) -> str | None:
        membership = getattr(user, "membership", None)
        return membership.role if membership else None
