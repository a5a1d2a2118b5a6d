"""Cutting text into the words the help search compares, the same way for articles and for queries.

Text is folded first (NFKC: full-width Latin and half-width kana; lower case). Then:

- Latin words (``csv``, ``sign-in``, ``A/B``) are English: stop words go (``the``, ``not``, ``how``),
  the rest are stemmed (Snowball's English stemmer: "invites" and "invitation" are both ``invit``);
  a word joined by ``-``, ``/`` or ``.`` counts whole and by its parts (``e-mail``: ``email``,
  ``mail``).
- Everything else is Japanese, analysed by Sudachi (core dictionary, split mode A, the shortest
  units): each word as its normalised form, so 二段階 and 2段階, 届かない and 届く, 使えます and
  使う meet, and a compound (送信ドメイン認証) is the words it is made of. Particles, auxiliary
  verbs, symbols and grammatical words (する, できる, こと, どこ) go; an honorific or other prefix
  goes too (ご契約 is 契約), while a word made only of affixes (不達) is kept whole.

A few words say how rather than what (方法, 手順, 場合): they are *weak*, they only add to the score
of an article that matches the rest.

An article's index (``Article.search_title``, ``Article.search_body``) is its words in order,
space-separated and padded (`` 送信 ドメイン 認証 | 設定 ``), so that ``LIKE '% 認証 %'`` finds a
whole word and ``LIKE '% 送信 ドメイン %'`` two words next to each other; ``|`` stands between words
that a particle or punctuation separated. The synonyms of its words (``faq.Synonym``) follow, so a
query finds an article through any word of a synonym group.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import snowballstemmer

if TYPE_CHECKING:
    from sudachipy import Dictionary, Tokenizer

MAX_QUERY_CHARS = 200
MAX_TERMS = 10
GROUP_BREAK = "|"
SUDACHI_CHUNK_CHARS = 10_000  # Sudachi takes at most 49,149 bytes at a time; a kana or kanji is three

# Latin words, with the joiners that keep a word together: e-mail, a/b, example.com, don't.
_LATIN = re.compile(r"[a-z0-9]+(?:[-/.'_@+][a-z0-9]+)*")
_LATIN_PART = re.compile(r"[a-z0-9]+")
_BREAK = re.compile(r"[\u3001\u3002\uff0c\uff0e,.!?;:()\[\]{}\u300c-\u3011\"\u201c\u201d|/\\<>=→・]+")

ENGLISH_STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves get got let lets please want need""".split()  # noqa: SIM905 (a list of words, read as prose)
)
# Sudachi's parts of speech that are grammar, not content.
_DROPPED_POS = frozenset(
    ["助詞", "助動詞", "補助記号", "記号", "空白", "代名詞", "連体詞", "接続詞", "感動詞", "副詞", "フィラー"]
)
_AFFIX_POS = frozenset(["接頭辞", "接尾辞"])
# Normalised forms that carry no subject: light and auxiliary verbs, formal nouns, question words.
JAPANESE_STOP_WORDS = frozenset(
    [
        *("為る", "出来る", "有る", "居る", "成る", "遣る", "仕舞う", "貰う", "頂く", "下さる", "呉れる"),
        *("思う", "致す", "御座る", "為さる", "言う", "無い", "欲しい", "良い", "易い", "難い", "下さい"),
        *("事", "こと", "物", "もの", "時", "とき", "為", "ため", "何", "よう", "様", "所", "ところ"),
        *("方", "訳", "わけ", "はず", "筈", "の", "ん", "どう", "如何", "何処", "どこ", "いつ", "誰"),
    ]
)
# Words that say how rather than what: they rank, but an article needs more than them to be found.
WEAK_WORDS = frozenset(
    [
        *("方法", "手順", "仕方", "場合", "必要", "可能", "違い", "一度", "人", "来る", "込む", "出る", "見る"),
        *("howto", "way", "use", "set", "work", "make", "problem", "issu", "help"),
    ]
)
# An honorific prefix says nothing; other affixes are kept when the word is made only of them (不達).
_HONORIFIC = frozenset(["御", "お", "ご"])


@dataclass(frozen=True)
class Word:
    """One word of a text: ``term`` as indexed and searched, ``surface`` as written there."""

    term: str
    surface: str
    weak: bool = False


# --- The analysers ----------------------------------------------------------------------------------

_local = threading.local()


@cache
def _dictionary() -> Dictionary:
    from sudachipy import Dictionary

    return Dictionary(dict="core")


def _tokenizer() -> Tokenizer:
    """One Sudachi tokenizer per thread: a tokenizer keeps state while it works."""
    tokenizer: Tokenizer | None = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import SplitMode

        tokenizer = _dictionary().tokenizer(mode=SplitMode.A)
        _local.tokenizer = tokenizer
    return tokenizer


_english = threading.local()


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """The English stem of a lower-case Latin word (numbers and short words as they are)."""
    if len(word) < 4 or not word.isalpha():
        return word
    stemmer = getattr(_english, "stemmer", None)
    if stemmer is None:
        stemmer = _english.stemmer = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def fold(text: str | None) -> str:
    """NFKC (full-width Latin, half-width kana), lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


_MARKDOWN = [
    (re.compile(r"^\s*(```|~~~).*$", re.MULTILINE), " "),  # code fences
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their description
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+", re.MULTILINE), ""),  # headings, quotes, lists
    (re.compile(r"\*\*|__|~~|[*`]"), ""),  # emphasis and code marks
]


def plain_text(markdown: str) -> str:
    """The words of a markdown body, without its markup, on one line (not HTML: escape it)."""
    text = markdown or ""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


# --- Words of a text, in groups -----------------------------------------------------------------------


def _latin_words(token: str) -> list[Word]:
    parts = _LATIN_PART.findall(token)
    if len(parts) == 1:
        return [] if token in ENGLISH_STOP_WORDS else [Word(stem(token), token, stem(token) in WEAK_WORDS)]
    joined = "".join(parts)
    words = [Word(stem(joined), token, True)]  # the whole (email, ab): found whole, it adds to the score
    words += [
        Word(stem(part), part, stem(part) in WEAK_WORDS)
        for part in parts
        if len(part) > 1 and part not in ENGLISH_STOP_WORDS
    ]
    if len(words) == 1:  # a/b, e-mail: the parts are letters or stop words, the whole is the word
        return [Word(words[0].term, token)]
    return words


def _chunks(text: str) -> Iterator[str]:
    """``text`` in pieces Sudachi takes, cut after a full stop or a space where there is one."""
    while len(text) > SUDACHI_CHUNK_CHARS:
        cut = max(text.rfind("\u3002", 0, SUDACHI_CHUNK_CHARS), text.rfind(" ", 0, SUDACHI_CHUNK_CHARS)) + 1
        cut = cut or SUDACHI_CHUNK_CHARS
        yield text[:cut]
        text = text[cut:]
    yield text


def _japanese_words(text: str) -> Iterator[Word | None]:
    """Sudachi's words of a run of Japanese text; ``None`` where grammar stands between two.

    A prefix before a word goes (ご契約 is 契約, 再設定 is 設定); a suffix after one makes a weak word
    beside it (請求書 is 請求 and, weak, 請求書); affixes with no word to lean on are a word (不達). A
    word's surface takes the auxiliary verbs after it (届かない, not 届か), which is what results mark."""
    pending: list[tuple[str, str, str]] = []  # (part of speech, normalised, surface) of affixes in a row
    held: Word | None = None  # the last word, until what follows it is known
    after_word = False
    broken = False  # grammar stood after the held word

    def release() -> Iterator[Word | None]:
        nonlocal held, broken
        if held is not None:
            yield held
        if broken:
            yield None
        held, broken = None, False

    def affix_word() -> Iterator[Word | None]:
        term = "".join(normalised for _, normalised, _ in pending if normalised not in _HONORIFIC)
        if term and term not in JAPANESE_STOP_WORDS:
            yield from release()
            yield Word(term, "".join(surface for _, _, surface in pending), weak=len(term) == 1)
        pending.clear()

    for chunk in _chunks(text):
        for morpheme in _tokenizer().tokenize(chunk):
            pos = morpheme.part_of_speech()[0]
            normalised = morpheme.normalized_form().lower()
            surface = morpheme.surface()
            if pos in _AFFIX_POS:
                if pos == "接尾辞" and after_word and held is not None:
                    # 請求書 is found as 請求, and found whole it scores more.
                    word = held
                    yield from release()
                    held = Word(word.term + normalised, word.surface + surface, weak=True)
                    continue
                pending.append((pos, normalised, surface))
                after_word = False
                continue
            if pos in _DROPPED_POS or normalised in JAPANESE_STOP_WORDS or not normalised.strip():
                yield from affix_word()
                if pos == "助動詞" and held is not None and after_word:
                    held = Word(held.term, held.surface + surface, held.weak)
                else:
                    after_word = False
                broken = True
                continue
            if any(affix_pos == "接尾辞" for affix_pos, _, _ in pending):
                yield from affix_word()
            pending.clear()  # prefixes of this word
            yield from release()
            after_word = True
            held = Word(normalised, surface, normalised in WEAK_WORDS)
            broken = False
    yield from affix_word()
    yield from release()


def _words(text: str) -> Iterator[Word | None]:
    """Every word of folded ``text`` in order; ``None`` where a group ends."""
    position = 0
    for match in _LATIN.finditer(text):
        if match.start() > position:
            yield from _gap_words(text[position : match.start()])
        latin = _latin_words(match.group())
        if latin:
            yield from latin
        else:
            yield None  # a stop word separates what stands around it
        position = match.end()
    if position < len(text):
        yield from _gap_words(text[position:])


def _gap_words(gap: str) -> Iterator[Word | None]:
    if _BREAK.sub("", gap).strip():
        yield from _japanese_words(gap)
    elif gap.strip():
        yield None  # punctuation between Latin words


def word_groups(text: str | None) -> list[list[Word]]:
    """The words of ``text`` in groups of words written next to each other (送信|ドメイン|認証), in
    order; a particle, a grammatical word or punctuation ends a group."""
    groups: list[list[Word]] = [[]]
    for word in _words(fold(text)):
        if word is None:
            if groups[-1]:
                groups.append([])
        else:
            groups[-1].append(word)
    return [group for group in groups if group]


def terms(text: str | None) -> list[str]:
    """Every indexed word of ``text``, in order (repeats kept)."""
    return [word.term for group in word_groups(text) for word in group]


# --- Synonyms ---------------------------------------------------------------------------------------

_WORD_LIST_SEPARATORS = re.compile(r"[,\n\u3001\uff0c]+")


def synonym_words(words: str) -> list[str]:
    """The words of a synonym group as an admin typed them: separated by commas (、 too) or lines."""
    return list(dict.fromkeys(word.strip() for word in _WORD_LIST_SEPARATORS.split(words) if word.strip()))


def word_terms(word: str) -> tuple[str, ...]:
    """The indexed form of one word or phrase of a synonym group (パスワード: ``("パスワード",)``,
    シングルサインオン: ``("シングル", "サイン", "オン")``)."""
    return tuple(terms(word))


@dataclass(frozen=True)
class Synonyms:
    """Groups of words that mean the same, each word as its terms."""

    groups: tuple[tuple[tuple[str, ...], ...], ...] = ()

    @classmethod
    def from_lists(cls, lists: Iterable[str]) -> Synonyms:
        groups = []
        for words in lists:
            group = tuple(dict.fromkeys(t for t in (word_terms(word) for word in synonym_words(words)) if t))
            if len(group) > 1:
                groups.append(group)
        return cls(tuple(groups))

    def expansions(self, indexed: str) -> list[tuple[str, ...]]:
        """The synonyms of the words of an index text (`` a b | c ``) that it does not hold yet."""
        found: list[tuple[str, ...]] = []
        for group in self.groups:
            present = [words for words in group if f" {' '.join(words)} " in indexed]
            if present:
                found.extend(words for words in group if words not in present and words not in found)
        return found


NO_SYNONYMS = Synonyms()


def index_text(text: str | None, *, synonyms: Synonyms = NO_SYNONYMS) -> str:
    """What ``Article.search_title`` / ``search_body`` hold for ``text``: its words in groups, then the
    synonyms of its words, every word with a space on both sides."""
    groups = [[word.term for word in group] for group in word_groups(text)]
    indexed = _join(groups)
    extra = synonyms.expansions(indexed)
    return _join(groups + [list(words) for words in extra])


def article_index(*, title: str, summary: str, body: str, synonyms: Synonyms = NO_SYNONYMS) -> tuple[str, str]:
    """An article's ``search_title`` and ``search_body``: the words of its title, and of its summary
    and body (markdown without its markup)."""
    return index_text(title, synonyms=synonyms), index_text(f"{summary}\n{plain_text(body)}", synonyms=synonyms)


def _join(groups: Sequence[Sequence[str]]) -> str:
    if not groups:
        return ""
    return f" {f' {GROUP_BREAK} '.join(' '.join(group) for group in groups)} "


# --- Queries ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A search query, analysed: the words to find, those of them that are weak, the runs of words
    written next to each other (phrases, which score more when found together), and the words as
    typed, to mark in the results."""

    text: str
    terms: tuple[str, ...]
    weak: frozenset[str]
    phrases: tuple[tuple[str, ...], ...]
    marks: tuple[str, ...]

    @property
    def required(self) -> int:
        """How many of the query's strong words an article must hold: all of one or two; of three
        or more, two in three (rounded up), so one word worded otherwise does not lose the article."""
        strong = len([term for term in self.terms if term not in self.weak]) or len(self.terms)
        return strong if strong <= 2 else -(-strong * 2 // 3)


def analyse_query(query: str | None) -> Query:
    """The query's words (at most ten) and phrases; a query of stop words only is searched as typed,
    and finds what holds those words (which the index leaves out: nothing)."""
    text = fold(query)[:MAX_QUERY_CHARS]
    groups = word_groups(text)
    ordered: dict[str, Word] = {}
    for group in groups:
        for word in group:
            if word.term not in ordered or not word.weak:
                ordered[word.term] = word
    if not ordered:
        fallback = [chunk for chunk in _BREAK.split(text) if chunk][:MAX_TERMS]
        return Query(text, tuple(fallback), frozenset(), (), tuple(fallback))
    chosen = list(ordered.values())[:MAX_TERMS]
    kept = {word.term for word in chosen}
    phrases = tuple(
        dict.fromkeys(
            tuple(word.term for word in group)
            for group in groups
            if len(group) > 1 and all(word.term in kept for word in group)
        )
    )
    marks = tuple(dict.fromkeys(word.surface for group in groups for word in group if word.term in kept))
    return Query(
        text=text,
        terms=tuple(word.term for word in chosen),
        weak=frozenset(word.term for word in chosen if word.weak),
        phrases=phrases,
        marks=marks,
    )
