# ruff: noqa: RUF001 (full-width letters are what is tested)
"""Cutting text into the words the help search compares: Sudachi's normalised forms for Japanese,
stems and stop words for English, synonyms added to an article's index."""

from __future__ import annotations

import pytest

from faq.analysis import Synonyms, analyse_query, article_index, index_text, synonym_words, terms


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("2段階認証", "二段階認証"),
        ("メールが届かない", "メールが届かなかった"),
        ("ウェルカムメール", "ｳｪﾙｶﾑﾒｰﾙ"),  # half-width kana
        ("コンピューター", "コンピュータ"),
        ("ＣＳＶ", "csv"),
        ("invitation", "invites"),
        ("bounced", "bouncing"),
    ],
)
def test_two_ways_of_writing_a_word_meet(one: str, other: str) -> None:
    assert terms(one) == terms(other)


def test_grammar_prefixes_and_stop_words_are_left_out() -> None:
    assert terms("ご契約はどこで確認できますか") == ["契約", "確認"]
    assert terms("How do I reset my password?") == ["reset", "password"]
    assert terms("不達の原因") == ["不達", "原因"]  # two affixes with no word between them: a word


def test_an_english_word_is_a_whole_word() -> None:
    assert " not " not in index_text("You cannot undo this.")
    assert " cannot " in index_text("You cannot undo this.")
    assert terms("not") == []  # a stop word
    assert analyse_query("not").terms == ("not",)  # searched as typed, it finds no indexed word


def test_an_index_keeps_words_written_together_apart_from_the_next_group() -> None:
    assert index_text("送信ドメイン認証を設定する") == " 送信 ドメイン 認証 | 設定 "
    assert index_text("sign-in page") == " signin sign page "


def test_a_body_longer_than_sudachi_takes_at_once_is_indexed_whole() -> None:
    body = "配信の設定を確認します。" * 5000 + "最後の段落にだけダブルオプトインがあります。"  # about 180 kB
    _title, indexed = article_index(title="長い記事", summary="", body=body)
    assert " ダブルオプトイン " in indexed


def test_synonyms_add_the_other_words_of_a_group_to_the_index() -> None:
    synonyms = Synonyms.from_lists(["パスワード, PW", "SSO、シングルサインオン", "退会, 解約"])
    indexed = index_text("PWを忘れた場合のSSO", synonyms=synonyms)
    assert indexed.startswith(" pw | 忘れる | 場合 | sso ")
    assert " パスワード " in indexed and " シングル サイン オン " in indexed
    assert " 退会 " not in indexed and " 解約 " not in indexed  # no word of that group is there


def test_synonym_words_are_separated_by_commas_or_lines() -> None:
    assert synonym_words("退会, 解約、キャンセル\nやめる,, 退会") == ["退会", "解約", "キャンセル", "やめる"]


@pytest.mark.parametrize(
    ("query", "required"),
    [
        ("パスワード", 1),
        ("Zoom 連携", 2),
        ("招待メールが来ない", 2),
        ("SPFとDKIMの設定方法", 2),
        ("配信停止リンクのフッターの文面", 4),
    ],
)
def test_how_many_words_an_article_must_hold(query: str, required: int) -> None:
    # 来る and 方法 are weak: they rank but do not count. Two words: both; three: two; five: four.
    assert analyse_query(query).required == required
