import pytest

from onthaal.core.numbers import natural


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("42", 42), (" 7 ", 7), (12, 12), ("9" * 18, int("9" * 18))],
)
def test_whole_numbers_are_read(text, expected):
    assert natural(text) == expected


@pytest.mark.parametrize("text", ["", "³", "①", "٣", "-1", "1.5", "1e3", "9" * 19, "12a", None])
def test_anything_else_is_none_not_an_error(text):
    assert natural(text) is None
