"""The real messages of the MSGABench workbook (``../shared/data/msgabench-gov-qa.xlsx``, beside the repository).

Column A of its three sheets: 自然语言理解 traffic-police questions, 政务问答 portal question titles, 情感分类 citizen
messages to a city hotline, personal details already masked with ``*``. The load test replays them
(:mod:`assistant.loadtest.messages`), the benchmark times them (:mod:`assistant.bench.retrieval`) and the evaluation
counts the answers given to those no split labels (:mod:`assistant.evaluation.unlabelled`); each reads them here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
XLSX = REPO.parent / "shared" / "data" / "msgabench-gov-qa.xlsx"


def workbook_rows(path: Path = XLSX) -> Iterator[tuple[str, int, str]]:
    """(sheet, 1-based Excel row, column A as written) of every sheet's rows, header skipped, empty cells left out.

    Raises:
        FileNotFoundError: the workbook is missing.
    """
    import openpyxl

    if not path.is_file():
        raise FileNotFoundError(f"{path}: the real messages are missing (see ../shared/data/README.md)")
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        for sheet in workbook.worksheets:
            for number, (value,) in enumerate(sheet.iter_rows(min_row=2, max_col=1, values_only=True), 2):
                if value is not None:
                    yield sheet.title, number, str(value)
    finally:
        workbook.close()
