# These tests rely on the state test_a_setup.py::test_register leaves behind: each fails when
# run alone.
from statepkg import registry


def test_count():
    assert registry.count() == 1


def test_describe():
    assert registry.describe("x") == "x=21"


def test_double_again():
    assert registry.double(0) == 0
