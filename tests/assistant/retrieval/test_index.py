"""The saved index: every artefact round-trips, loading in a fresh process needs no torch, spaCy or thinc and answers
as the artefacts' slow recomputation would, and a corrupt or missing artefact is refused."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

from assistant.retrieval.bm25 import GUIDE_WEIGHT, Bm25Retriever, Bm25Scores, guide_words, tokens
from assistant.retrieval.index import (
    FORMAT,
    Index,
    IndexError_,
    IndexSettings,
    draw_anchors,
    mention_phrases,
    naming_phrases,
    short_names,
)

ARTEFACTS = [
    "entries.jsonl",
    "entries.json",
    "naming.json",
    "priors.npy",
    "vocabulary.json",
    "pinyin.json",
    "jieba.cache",
    "vectors.faiss",
    "static/embeddings.npy",
    "static/tokenizer.json",
    "spacy/mention_tokens.json",
    "spacy/classifiers.npz",
    "spacy/textcat/model",
    "guides_bm25/data.csc.index.npy",
]


@pytest.fixture(scope="session")
def index(holder) -> Index:
    return holder.current.index


def _dev_questions() -> list[str]:
    lines = (REPO / "tests" / "eval" / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[0] for line in lines]


@pytest.mark.slow
def test_entries_round_trip(index, bundled):
    assert list(index.entries) == bundled.entries()
    assert index.ids == [e.id for e in bundled.entries()]
    assert index.names == [e.name for e in bundled.entries()]
    assert index.entries[-1] == bundled.entries()[-1]
    assert index.manifest["format"] == FORMAT and index.manifest["entries"] == len(bundled.entries())


@pytest.mark.slow
def test_pinyin_table_is_the_one_the_vocabulary_gives(index):
    from nlu.normalize import Normaliser

    fresh = Normaliser(json.loads((index.directory / "vocabulary.json").read_text(encoding="utf-8")))
    assert index.normaliser._by_pinyin == fresh._by_pinyin


@pytest.mark.slow
def test_the_index_segmenter_is_jieba_taught_the_normalised_names(index, bundled):
    from nlu.segmenter import new_segmenter

    names = sorted({index.normaliser(p) for e in bundled.entries() for p in naming_phrases(e)[:1]} - {""})
    taught = new_segmenter(_mention_phrases(index))
    assert (index.segmenter.FREQ, index.segmenter.total) == (taught.FREQ, taught.total)
    for name in names:
        assert index.segmenter.lcut(name) == [name], name


def _mention_phrases(index) -> list[str]:
    """The phrases the index's ruler matches (its saved patterns)."""
    lines = (index.directory / "spacy" / "entity_ruler" / "patterns.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["pattern"] for line in lines]


_RECOMPUTE = """
import json, sys
from pathlib import Path
from assistant.retrieval.bm25 import tokens
from nlu.normalize import Normaliser
from nlu.segmenter import new_segmenter, word_frequencies
directory = Path(sys.argv[1])
lines = (directory / "spacy" / "entity_ruler" / "patterns.jsonl").read_text(encoding="utf-8").splitlines()
segmenter = new_segmenter([json.loads(line)["pattern"] for line in lines])  # what loading did before
vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
normaliser = Normaliser(vocabulary, frequencies=word_frequencies(segmenter))
entries = [json.loads(line) for line in (directory / "entries.jsonl").read_text(encoding="utf-8").splitlines()]
names = [[e["name"], *e["aliases"], *(f["question"] for f in e.get("faq", []))] for e in entries]
print(json.dumps([sorted(set(tokens(normaliser(" ".join(n)), segmenter))) for n in names], ensure_ascii=False))
"""


@pytest.mark.slow
def test_naming_tokens_are_what_a_fresh_process_computes(index):
    result = subprocess.run(
        [sys.executable, "-c", _RECOMPUTE, str(index.directory)], capture_output=True, text=True, check=True
    )
    expected = [frozenset(t) for t in json.loads(result.stdout)]
    assert list(index.naming) == expected
    counts = {}
    for words in expected:
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    assert index.naming.document_frequency == counts
    assert naming_phrases(index.entries[0])[0] == index.names[0]


@pytest.mark.slow
def test_mentions_are_those_of_spacys_entity_ruler(index, bundled):

    from nlu.elements import with_entity_ruler

    full = with_entity_ruler(index.directory / "spacy", index.segmenter)  # the slow way, spaCy's own ruler
    assert index.pipeline.mentions is not None
    texts = [*_dev_questions(), *(index.normaliser(p) for e in bundled.entries() for p in naming_phrases(e))]
    texts += ["结婚登记和离婚登记", "身份证身份证", "补领居民身份证补领"]
    for text in texts:
        doc = full(text)
        expected = sorted(((ent.ent_id_, ent.text) for ent in doc.ents), key=lambda m: -len(m[1]))
        assert index.pipeline.analyse(text).mentions == expected, text


_SERVE = """
import json, sys
from pathlib import Path
from assistant.retrieval.index import Index
from assistant.qa import QuestionAnswerer
answer = QuestionAnswerer.from_index(Index.load(Path(sys.argv[1]))).ask("领结婚证要带啥")
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers", "spacy", "thinc") if m in sys.modules)
print(json.dumps({"item": answer.item, "element": answer.element, "heavy": heavy}, ensure_ascii=False))
"""


@pytest.mark.slow
def test_fresh_process_answers_without_torch_or_spacy(index):
    result = subprocess.run(
        [sys.executable, "-c", _SERVE, str(index.directory)], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == {"item": "内地居民结婚登记", "element": "materials", "heavy": []}


@pytest.mark.slow
def test_reloaded_index_answers_the_same(index):
    from assistant.qa import QuestionAnswerer

    first, second = QuestionAnswerer.from_index(index), QuestionAnswerer.from_index(Index.load(index.directory))
    for query in _dev_questions()[:60]:
        assert second.ask(query) == first.ask(query)


_ANSWER_ALL = """
import json, sys
from pathlib import Path
from assistant.retrieval.index import Index
from assistant.qa import QuestionAnswerer
qa = QuestionAnswerer.from_index(Index.load(Path(sys.argv[1])))
for query in sys.stdin.read().splitlines():
    answer = qa.ask(query)
    print(json.dumps([answer.item, answer.element, answer.kind, answer.confidence], ensure_ascii=False))
"""


@pytest.mark.slow
def test_a_fresh_process_answers_as_the_one_that_built_the_index(index):
    # on a fresh checkout this session built the index; a server started later loads it: same answers
    from assistant.qa import QuestionAnswerer

    qa = QuestionAnswerer.from_index(index)
    questions = _dev_questions()
    here = [[a.item, a.element, a.kind, a.confidence] for a in map(qa.ask, questions)]
    result = subprocess.run(
        [sys.executable, "-c", _ANSWER_ALL, str(index.directory)],
        input="\n".join(questions),
        capture_output=True,
        text=True,
        check=True,
    )
    assert [json.loads(line) for line in result.stdout.splitlines()] == here


@pytest.mark.slow
def test_names_read_on_load_as_the_build_read_them(index, bundled):
    # typo repair keeps what jieba knows as a word; a process that loaded the index knows the names, the build
    # had not been taught them yet when it normalised them: a name must still read the same, or a question naming
    # it would not find its mention
    names = {index.normaliser(p) for e in bundled.entries() for p in mention_phrases(e)} - {""}
    assert names == set(_mention_phrases(index))


@pytest.fixture
def copy(index, tmp_path):
    target = tmp_path / index.directory.name
    shutil.copytree(index.directory, target)
    return target


@pytest.mark.slow
@pytest.mark.parametrize("artefact", ARTEFACTS)
def test_corrupt_artefact_is_refused(copy, artefact):
    path = copy / artefact
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IndexError_, match=re.escape(f"{artefact} is missing or corrupt; run `assistant index build`")):
        Index.load(copy)


@pytest.mark.slow
def test_missing_artefact_is_refused(copy):
    (copy / "jieba.cache").unlink()
    with pytest.raises(IndexError_, match=re.escape("jieba.cache is missing or corrupt")):
        Index.load(copy)


@pytest.mark.slow
def test_manifest_without_an_artefact_is_refused(copy):
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]["pinyin.json"]
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexError_, match=re.escape("lacks pinyin.json; run `assistant index build`")):
        Index.load(copy)


_BUILD = """
import json, sys
from pathlib import Path
from assistant.retrieval.index import Index, IndexSettings
from knowledge.loader import load_catalogues
catalogue = load_catalogues([Path(sys.argv[1])], bundled=False)
print(json.dumps(Index.build(catalogue, Path(sys.argv[2]), IndexSettings(min_steps=20), key="k")["files"]))
"""


def test_teaching_the_element_classifier_a_phrasing_leaves_retrieval_alone(bundled, tmp_path, monkeypatch):
    # the embedding model's training pairs come from question_frames.yaml, not from the element templates: a new
    # element template must not move which item a question finds
    entries = bundled.entries()
    before = draw_anchors(entries, 5000, seed=1)
    edited = tmp_path / "element_templates.yaml"
    edited.write_text('materials:\n- "{x}要带原件吗"\nfee:\n- "{x}要交钱吗"\n', encoding="utf-8")
    monkeypatch.setattr("nlu.elements.TEMPLATES", edited)
    monkeypatch.setattr("assistant.retrieval.index.TEMPLATES", edited)
    assert draw_anchors(entries, 5000, seed=1) == before
    # and the frames do reach the pairs: some anchor is a name in the words of asking
    assert any(
        anchor != entries[i].name and entries[i].name in anchor and len(anchor) > len(entries[i].name)
        for anchor, i in before
    )


def test_an_alias_added_to_one_entry_leaves_the_other_entries_anchors_alone(bundled):
    # the embedding model's pairs: a city adding an alias must not reshuffle what every other entry trains on
    entries = bundled.entries()
    j = next(i for i, e in enumerate(entries) if e.name == "生育登记")
    edited = [*entries]
    edited[j] = entries[j].model_copy(update={"aliases": [*entries[j].aliases, "三孩政策"]})
    before, after = draw_anchors(entries, 100_000, seed=13), draw_anchors(edited, 100_000, seed=13)
    assert [pair for pair in after if pair[1] != j] == [pair for pair in before if pair[1] != j]
    assert {a for a, i in after if i == j} - {a for a, i in before if i == j} >= {"三孩政策"}


@pytest.mark.slow
def test_build_is_deterministic(write_catalogue, item_data, tmp_path):
    # each build in a fresh process, as `assistant index build` runs: jieba's dictionary is process-wide, so a
    # second build in one process would segment with the first one's names too
    root = write_catalogue({"ps/resident-id-card-first.yaml": item_data})
    files = []
    for name in ("one", "two"):
        result = subprocess.run(
            [sys.executable, "-c", _BUILD, str(root), str(tmp_path / name)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        files.append(json.loads(result.stdout.strip().splitlines()[-1]))
    assert set(ARTEFACTS) <= set(files[0])
    # bm25s numbers tokens in set order, so its matrices differ in layout between builds; their scores do not
    matrices = ("bm25/", "guides_bm25/")
    assert {k: v for k, v in files[0].items() if not k.startswith(matrices)} == {
        k: v for k, v in files[1].items() if not k.startswith(matrices)
    }
    for matrix in matrices:
        one, two = Bm25Scores.load(tmp_path / "one" / matrix), Bm25Scores.load(tmp_path / "two" / matrix)
        assert one.vocabulary.keys() == two.vocabulary.keys()
        for word in filter(None, one.vocabulary):
            assert [a.tolist() for a in one.retrieve([word], 1)] == [a.tolist() for a in two.retrieve([word], 1)]


@pytest.mark.slow
def test_bm25_scores_are_those_of_bm25s(index):
    import bm25s

    reference = bm25s.BM25.load(str(index.directory / "bm25"))
    for query in _dev_questions():
        words = tokens(index.normaliser(query), index.segmenter)
        if not words:
            continue
        ids, scores = reference.retrieve([words], k=30, show_progress=False, n_threads=0)
        got_ids, got_scores = index.bm25.scores.retrieve(words, 30)
        assert got_ids.tolist() == ids[0].tolist(), query
        assert got_scores.tolist() == scores[0].tolist(), query


def test_bm25_scores_rank_ties_and_unknown_words_as_bm25s(tmp_path):
    import bm25s

    corpus = [["结婚", "登记"], ["离婚", "登记"], ["结婚", "登记"], ["护照"], ["登记"], ["身份证", "补领", "登记"]]
    reference = bm25s.BM25()
    reference.index(corpus, show_progress=False)
    reference.save(str(tmp_path / "bm25"), show_progress=False)
    scorer = Bm25Scores.load(tmp_path / "bm25")
    for query in (["登记"], ["结婚", "登记"], ["护照", "登记", "登记"], ["没有的词"], ["没有的词", "护照"]):
        for k in (1, 3, 6):
            ids, scores = reference.retrieve([query], k=k, show_progress=False, n_threads=0)
            got_ids, got_scores = scorer.retrieve(query, k)
            assert (got_ids.tolist(), got_scores.tolist()) == (ids[0].tolist(), scores[0].tolist())


def test_a_question_naming_no_entry_is_found_by_the_words_of_its_whole_guide(tmp_path):
    import bm25s

    from nlu.segmenter import new_segmenter

    segmenter = new_segmenter()
    naming = ["居民身份证补领 身份证丢了", "住房公积金提取 取公积金", "死亡登记 注销户口"]
    guides = [
        "居民身份证补领 居民身份证丢失的，向户籍所在地公安机关申请补领",
        "住房公积金提取 职工死亡的，其继承人、受遗赠人可以提取；无继承人也无受遗赠人的，余额纳入增值收益",
        "死亡登记 公民死亡的，由其家属在一个月以内注销户口",
    ]
    for name, texts, words in (("naming", naming, tokens), ("guides", guides, guide_words)):
        corpus = bm25s.BM25()
        corpus.index([words(text, segmenter) for text in texts], show_progress=False)
        corpus.save(str(tmp_path / name), show_progress=False)
    names = Bm25Scores.load(tmp_path / "naming")
    whole = Bm25Retriever(names, segmenter, Bm25Scores.load(tmp_path / "guides"))
    story = "舅舅去世了，没有继承人也没有受遗赠人，余额怎么处理"
    # the names share no word with the story; the whole guides tell where it belongs
    assert Bm25Retriever(names, segmenter).search(story, 3) == []
    assert whole.search(story, 3)[0][0] == 1
    # weight 0 searches the names alone (what calibrate --guide-weights 0 measures)
    assert Bm25Retriever(names, segmenter, Bm25Scores.load(tmp_path / "guides"), guide_weight=0).search(story, 3) == []
    # a question naming an entry still finds it first, the best scoring 1 (its names) + GUIDE_WEIGHT (its guide)
    assert whole.search("身份证丢了", 3)[0] == (0, 1 + GUIDE_WEIGHT)


@pytest.mark.integration
def test_mention_matcher_picks_among_shared_phrases_as_the_entity_ruler(tmp_path):

    from nlu.elements import ElementPipeline, save_mention_tokens, with_entity_ruler
    from nlu.reader import ElementReader
    from nlu.segmenter import new_segmenter

    # several entries share a name (a shared alias in a provincial export), some names contain others
    mentions = {f"entry-{i}": ["机动车注册登记", f"注册登记{i}"] for i in range(12)}
    mentions["other"] = ["机动车", "注册登记", "登记"]
    segmenter = new_segmenter()
    ElementPipeline.train(mentions, segmenter=segmenter, seed=1, epochs=1).save(tmp_path / "spacy")
    save_mention_tokens(tmp_path / "spacy", segmenter)
    fast = ElementReader.load(tmp_path / "spacy", segmenter)
    full = with_entity_ruler(tmp_path / "spacy", segmenter)
    for text in (
        "机动车注册登记要带什么",
        "注册登记3和注册登记11",
        "机动车登记",
        "登记",
        "我想办机动车注册登记机动车注册登记",
    ):
        doc = full(text)
        expected = sorted(((ent.ent_id_, ent.text) for ent in doc.ents), key=lambda m: -len(m[1]))
        assert fast.analyse(text).mentions == expected, text


_NAMED = """
import json, sys
from pathlib import Path
from assistant.retrieval.index import Index
from assistant.qa import QuestionAnswerer
index = Index.load(Path(sys.argv[1]))
answer = QuestionAnswerer.from_index(index).ask("办身份证要带什么")
print(json.dumps({"item": answer.item, "model": type(index.dense.model).__name__, "torch": "torch" in sys.modules}))
"""


@pytest.mark.slow
def test_a_named_model_still_loads_through_sentence_transformers(write_catalogue, item_data, tmp_path):
    from assistant.retrieval.embedding import train_static_model
    from knowledge.loader import load_catalogues

    # a local model path stands for a named model (no hub is reachable here); it is not the default static model
    model = train_static_model([("办身份证", "居民身份证首次申领")], ["居民身份证首次申领"], dim=16, epochs=1)
    model.save(str(tmp_path / "my-model"))
    catalogue = load_catalogues([write_catalogue({"ps/resident-id-card-first.yaml": item_data})], bundled=False)
    manifest = Index.build(catalogue, tmp_path / "index", IndexSettings(model=str(tmp_path / "my-model")), key="k")
    assert "model/modules.json" in manifest["files"] and "static/embeddings.npy" not in manifest["files"]
    result = subprocess.run(
        [sys.executable, "-c", _NAMED, str(tmp_path / "index")], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "item": "居民身份证首次申领",
        "model": "SentenceTransformer",
        "torch": True,
    }


def test_a_name_without_its_act_names_its_entry_where_no_other_name_holds_it():
    names = ["食品经营许可证核发", "普通护照签发", "普通护照补发", "往来港澳通行证签发", "往来港澳通行证签注", "临时救助申请",
             "最低生活保障申请", "结婚登记"]  # fmt: skip
    assert short_names(names) == {"食品经营许可证": 0, "临时救助": 5, "最低生活保障": 6}
    assert short_names(["残疾人证申领", "救助申请"]) == {"残疾人证": 0}  # 救助: too short to name anything alone
    # 居住证 is part of 工作居住证, which the catalogue lacks: written in a message, it may be that
    assert short_names(["居住证申领", "残疾人证申领"], uncovered=["工作居住证"]) == {"残疾人证": 1}


def test_the_index_keeps_the_short_names_normalised_by_entry_id(index):
    assert index.short_names["食品经营许可证"] == "food-business-licence"
    assert "普通护照" not in index.short_names  # 签发 and 补发 share it
