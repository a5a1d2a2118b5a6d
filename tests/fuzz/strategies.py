"""Values for query strings and form posts: well-shaped for the field they go to, and hostile.

Every value is text, as a browser sends it. Hostile values are what databases and parsers trip on:
NUL characters (PostgreSQL refuses them), numbers past 32 and 64 bits, dates at and past the ends of
the calendar, impossible dates, long and unusual text (Japanese, emoji, right-to-left).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from urllib.parse import urlencode

from django import forms
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

SPECIALS = [
    "", " ", "\x00", "a\x00b", "\x00" * 3, "\t\r\n",
    "0", "-0", "1", "-1", "01", "1.5", "1e3", "1e309", "-1e309", "NaN", "Infinity", "0x1F", "\uff11\uff12\uff13",
    "32767", "32768", "65536", "2147483647", "2147483648", "-2147483649", "4294967296",
    "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1" + "0" * 40,
    "0001-01-01", "9999-12-31", "2024-02-30", "2023-02-29", "2024-13-01", "0000-00-00", "10000-01-01",
    "1899-12-31", "1970-01-01", "2038-01-19", "31/12/2024", "2024-1-1",
    "0001-01-01T00:00", "9999-12-31T23:59", "2024-02-30T10:00", "2024-06-01T25:61", "2024-06-01 09:00:00+14:00",
    "true", "false", "on", "off", "yes", "no", "None", "null", "undefined", "[]", "{}",
    "日本語のテキスト", "株式会社さくら食品", "🙂👍🏽🇯🇵", "\u202eRTL override\u202c", "مرحبا بالعالم", "שלום",
    "Z\u0324\u0354\u0367\u0311\u0313", "\ufeffBOM", "\u3000全角空白\u3000", "\u200b", "\uffff",
    "<script>alert(1)</script>", "' OR '1'='1", '"; DROP TABLE x; --', "../../etc/passwd", "%00", "%", "%%", "+",
    "//evil.example/", "https://evil.example/", "javascript:alert(1)", "/\\evil.example", "\\\\evil",
    "a@b", "@", "user@例え.jp", "x" * 64 + "@example.com",
]  # fmt: skip

# Text a browser can send: any character but a lone surrogate (UTF-8 cannot encode one).
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
numbers = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
dates = st.dates().map(date.isoformat)
datetimes = st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes"))  # datetime-local
huge = st.tuples(st.sampled_from(["x", "あ", "\x00", "🙂", "9"]), st.sampled_from([1_000, 10_000, 100_000])).map(
    lambda pair: pair[0] * pair[1]
)
hostile = st.one_of(st.sampled_from(SPECIALS), any_text, numbers, dates, datetimes, huge)

# Query strings a hand-written URL can have beyond what urlencode writes: broken escapes, bare keys.
RAW_TAILS = ["", "&", "&&=&", "&%FF=%FE", "&%C0%AF=1", "&key", "&=value", "&%=%", "&page=%00", "&a[]=1&a[]=2"]


def choice_values(field: forms.ChoiceField) -> list[str]:
    values: list[str] = []
    for value, label in field.choices:
        if isinstance(label, (list, tuple)):  # an option group
            values += [str(v) for v, _label in label]
        else:
            values.append(str(value))
    return [v for v in values if v] or [""]


def shaped(field: forms.Field) -> SearchStrategy[str]:
    """Values of the shape ``field`` expects (still at its edges: lengths just past the limit)."""
    if isinstance(field, forms.ModelChoiceField):
        return st.integers(min_value=0, max_value=50).map(str)
    if isinstance(field, forms.ChoiceField):
        return st.sampled_from(choice_values(field))
    if isinstance(field, forms.DateTimeField):
        near = st.tuples(st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 1, 1)), st.times())
        return st.one_of(datetimes, near.map(lambda p: f"{p[0].isoformat()}T{p[1].isoformat(timespec='minutes')}"))
    if isinstance(field, forms.DateField):
        return st.one_of(dates, st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 1, 1)).map(date.isoformat))
    if isinstance(field, (forms.IntegerField, forms.DecimalField)):
        return st.one_of(st.integers(min_value=-10, max_value=10**16), st.decimals(places=2)).map(str)
    if isinstance(field, forms.EmailField):
        return st.emails().map(str)
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", "1", "true", ""])
    max_length = getattr(field, "max_length", None) or 100
    return st.text(st.characters(exclude_categories=["Cs"]), max_size=max_length + 2)


def values_for(field: forms.Field | None) -> SearchStrategy[str]:
    return hostile if field is None else st.one_of(shaped(field), hostile)


def fields_of(form_class: type[forms.BaseForm], **extra: SearchStrategy[str]) -> dict[str, SearchStrategy[str]]:
    """A strategy per field of ``form_class`` (by its name in the HTML), and for the ``extra`` inputs
    a page adds around the form (a hidden ``next``)."""
    return {name: values_for(field) for name, field in form_class.base_fields.items()} | extra


def pairs(known: Mapping[str, SearchStrategy[str]], *, max_size: int = 6) -> SearchStrategy[list[tuple[str, str]]]:
    """Key-value pairs, keys repeated at times: the known keys with their values, and any other key."""
    keys = sorted(known)
    known_pair = (
        st.sampled_from(keys).flatmap(lambda key: st.tuples(st.just(key), known[key])) if keys else st.nothing()
    )
    other_key = st.one_of(any_text, st.sampled_from(SPECIALS)).filter(lambda key: key not in known)
    other_pair = st.tuples(other_key, hostile)
    return st.lists(st.one_of(known_pair, known_pair, other_pair), max_size=max_size)


def query_strings(known: Mapping[str, SearchStrategy[str]]) -> SearchStrategy[str]:
    return st.tuples(pairs(known), st.sampled_from(RAW_TAILS)).map(lambda p: encode(p[0]) + p[1])


def encode(items: Sequence[tuple[str, str]]) -> str:
    return urlencode(list(items))


def submissions(fields: Mapping[str, SearchStrategy[str]]) -> SearchStrategy[list[tuple[str, str]]]:
    """What a form posts: its fields as a browser sends them (now and then one missing), in a
    fixed order, then a few more pairs: a field repeated, a key the form does not have."""
    every = st.fixed_dictionaries(dict(fields))
    some = st.fixed_dictionaries({}, optional=dict(fields))
    filled = st.one_of(every, every, every, some).map(lambda values: list(values.items()))
    return st.tuples(filled, pairs(fields, max_size=3)).map(lambda p: p[0] + p[1])
