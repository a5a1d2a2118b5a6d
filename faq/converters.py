from django.conf import settings


class LanguageConverter:
    """One of the languages the site ships (``ja``, ``en``)."""

    regex = "|".join(code for code, _name in settings.LANGUAGES)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
