"""Personal numbers are masked before anything stores them; ordinary numbers are left alone."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from assistant.privacy import MaskingFilter, mask

ID = "11010519491231002X"  # a valid check digit (python-stdnum's own example)
MOBILE = "13912345678"
CARD = "6222021234567890128"  # Luhn-valid


@pytest.mark.parametrize(
    "text",
    [
        f"我的身份证号{ID}，能办吗",
        f"身份证{ID.lower()}丢了",
        f"电话{MOBILE}",
        "电话+86 139-1234-5678",
        f"卡号{CARD}",
        "卡号6222 0212 3456 7890 128",
    ],
)
def test_a_personal_number_is_masked_to_the_same_length(text: str) -> None:
    masked = mask(text)
    assert len(masked) == len(text) and "*" * 11 in masked
    assert not any(number in masked for number in (ID, ID.lower(), MOBILE, CARD, "1234-5678", "7890 128"))


@pytest.mark.parametrize(
    "text",
    [
        "工本费40元，拨打12345或010-12345678",
        "自2025年5月10日起，20240101前办理",
        "事项编码11000000000000000001",
        "身份证号110105194912310021",  # a wrong check digit: not an ID number
        "金额1234567890123元",  # 13 digits failing the Luhn check
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask(text) == text


@given(st.text())
def test_masking_any_text_keeps_its_length_and_is_stable(text: str) -> None:
    once = mask(text)
    assert len(once) == len(text) and mask(once) == once


@given(
    st.sampled_from(["110101", "110105", "110108", "310104"]),  # region codes valid since 1900
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_every_valid_id_number_is_masked(region: str, born: dt.date, sequence: int) -> None:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    number = body + ric.calc_check_digit(body + "0")  # it takes the number with a placeholder check digit
    assert ric.is_valid(number) and number not in mask(f"身份证{number}办理")


def test_the_access_log_line_is_masked() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/staff?q={MOBILE}", "1.1", 200),
        None,
    )
    assert MaskingFilter().filter(record)
    assert MOBILE not in record.getMessage() and "/staff?q=***********" in record.getMessage()
