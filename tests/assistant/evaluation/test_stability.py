"""The alias-reach tool: which answers an added alias changed."""

from __future__ import annotations

from assistant.evaluation.stability import changed, main


def test_only_the_questions_with_another_kind_entry_or_element_are_counted():
    before = {
        "dev.tsv": [
            ["生三胎要办什么", "answer", "义务教育阶段新生入学登记", None],
            ["在吗", "out_of_scope", None, None],
        ]
    }
    after = {"dev.tsv": [["生三胎要办什么", "answer", "生育登记", None], ["在吗", "out_of_scope", None, None]]}
    assert changed(before, after) == {
        "dev.tsv": ["生三胎要办什么 | answer 义务教育阶段新生入学登记 None -> answer 生育登记 None"]
    }
    assert changed(before, before) == {"dev.tsv": []}


def test_an_alias_without_its_entry_is_refused_with_the_form_to_use(capsys, tmp_path):
    split = tmp_path / "dev.tsv"
    split.write_text("query\titem\telement\n在吗\t-\t-\n", encoding="utf-8")
    assert main([str(split), "--alias", "三孩政策"]) == 2
    assert "ENTRY_ID=ALIAS" in capsys.readouterr().err
