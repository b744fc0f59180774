"""Segmenters of their own: teaching one the catalogue's names leaves every other one, and everyday text, alone."""

from __future__ import annotations

import pytest

from nlu.segmenter import (
    cut,
    cut_for_search,
    everyday_count,
    load_segmenter,
    names_a_thing,
    new_segmenter,
    save_segmenter,
    teach,
)

pytestmark = pytest.mark.integration  # real jieba dictionaries (about a second each)


def test_teaching_a_name_twice_cuts_text_as_teaching_it_once():
    # jieba's add_word adds to its total frequency on every call; a name taught twice (a build teaches the names,
    # then trains the ruler; two entries share an alias) cut "想去领证" unlike a process that loaded the index
    names = ["领证", "内地居民结婚登记"]
    once, twice = new_segmenter(names), new_segmenter([*names, *names])
    assert (twice.FREQ, twice.total) == (once.FREQ, once.total)
    assert twice.lcut("我和对象想去领证") == ["我", "和", "对象", "想", "去", "领证"]


def test_a_large_catalogue_leaves_everyday_text_cut_as_jieba_cuts_it():
    # each taught name added to jieba's total: 2,300 names cut "能在手机上办吗" as 在手/机上, and a question's
    # words (so its BM25 terms and mentions) changed with the size of the catalogue
    questions = ["港澳签注能在手机上办吗", "我和对象想去领证", "临时身份证能用多久"]
    segmenter = new_segmenter(["港澳签注", "领证", "临时身份证"])
    small = [segmenter.lcut(q) for q in questions]
    teach(segmenter, [f"示例事项{n}" for n in range(3000)])
    assert [segmenter.lcut(q) for q in questions] == small
    assert "手机" in small[0] and "去" in small[1] and "港澳签注" in small[0]


def test_a_segmenter_taught_names_changes_no_other_segmenter():
    import jieba

    taught = new_segmenter(["想去领证"])
    other = new_segmenter()
    assert taught.lcut("我想去领证") == ["我", "想去领证"]
    assert other.lcut("我想去领证") == ["我", "想", "去", "领证"]
    assert "想去领证" not in jieba.dt.FREQ  # nor the process-wide one


def test_a_saved_segmenter_loads_as_it_was(tmp_path):
    segmenter = new_segmenter(["临时身份证", "港澳签注"])
    save_segmenter(segmenter, tmp_path / "jieba.cache")
    loaded = load_segmenter(tmp_path / "jieba.cache")
    assert (loaded.FREQ, loaded.total) == (segmenter.FREQ, segmenter.total)
    assert loaded.lcut("港澳签注和临时身份证") == ["港澳签注", "和", "临时身份证"]


@pytest.mark.parametrize(
    "text",
    ["办结婚登记要带什么材料", "中华人民共和国居民身份证补领", "我想问一下公积金提取需要多长时间到账", "abc 123", ""],
)
def test_the_remembered_cuts_are_jiebas(text):
    segmenter = new_segmenter(["结婚登记", "居民身份证补领"])
    for _ in range(2):  # computed, then remembered
        assert cut(segmenter, text) == segmenter.lcut(text)
        assert cut_for_search(segmenter, text) == segmenter.lcut_for_search(text)


def test_a_modal_verb_jieba_joins_to_the_verb_after_it_is_a_word_of_its_own():
    # jieba's HMM (or its dictionary, counting 能取 3 times) made one word of 能取 and 能补: the 取 of 提取 and the
    # 补 of 补领 were lost to "装修能取吗" after 住房公积金提取, and it went to 建筑工程施工许可证核发 for 装修
    segmenter = new_segmenter(["住房公积金提取"])
    assert segmenter.lcut("装修能取吗")[1] == "能取"
    assert cut(segmenter, "装修能取吗") == ["装修", "能", "取", "吗"]
    assert cut(segmenter, "丢了能补吗") == ["丢", "了", "能", "补", "吗"]
    assert "补" in cut_for_search(segmenter, "丢了能补吗")
    assert segmenter.lcut("最少要交满几年")[1] == "要交满"  # three characters, none of them a word to jieba
    assert cut(segmenter, "最少要交满几年") == ["最少", "要", "交满", "几年"]
    # a pair the dictionary counts as a word stays one
    assert cut(segmenter, "能否网上办理") == segmenter.lcut("能否网上办理")
    assert cut(segmenter, "想要提取") == ["想要", "提取"]


def test_a_segmenter_remembers_only_its_own_cuts():
    taught, plain = new_segmenter(["居民身份证补领"]), new_segmenter()
    assert cut(taught, "居民身份证补领") == ["居民身份证补领"]
    assert cut(plain, "居民身份证补领") != ["居民身份证补领"]


def test_a_cut_remembered_before_teaching_a_name_is_not_served_after_it():
    segmenter = new_segmenter()
    assert cut(segmenter, "居民身份证补领要带什么")[0] != "居民身份证补领"
    teach(segmenter, ["居民身份证补领"])
    assert cut(segmenter, "居民身份证补领要带什么")[0] == "居民身份证补领"


def test_everyday_counts_are_jiebas_own_and_a_taught_name_is_no_everyday_word():
    segmenter = new_segmenter(["建设工程规划许可证核发"])
    assert everyday_count(segmenter, "建设") > everyday_count(segmenter, "规划") > everyday_count(segmenter, "公积金")
    assert everyday_count(segmenter, "建设工程规划许可证核发") == 0  # a catalogue name is taught, not everyday
    assert everyday_count(segmenter, "从未见过的词") == 0


@pytest.mark.parametrize(
    ("word", "thing"),
    [
        ("护照", True),
        ("产权证", True),  # an abbreviation (产权证书)
        ("饭馆", True),
        ("收款卡", True),  # no word of jieba's: as likely a thing as a name taught from a catalogue
        ("做好", False),  # 新身份证做好了: what is done
        ("不开", False),
        ("五年", False),  # how long
        ("家里", False),  # where
    ],
)
def test_whether_a_word_names_a_thing_is_jiebas_part_of_speech(word, thing):
    assert names_a_thing(word) is thing
