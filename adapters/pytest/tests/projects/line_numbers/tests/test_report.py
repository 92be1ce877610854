import inspect

import pytest

from lines import report


def test_warning_names_its_line():
    with pytest.warns(RuntimeWarning) as record:
        assert report.ratio(1, 0) == 0.0
    assert record[0].lineno == 10
    assert record[0].filename.endswith("report.py")


def test_traceback_names_the_raising_line():
    assert report.check_positive(3) == 3
    with pytest.raises(ValueError) as info:
        report.check_positive(0)
    entry = info.traceback[-1]
    assert entry.lineno + 1 == 17  # 0-based in pytest's traceback
    assert str(entry.statement).strip().startswith("raise ValueError(")


def test_source_keeps_comments_and_lines():
    lines, first = inspect.getsourcelines(report.describe)
    assert first == 21
    assert lines[1] == "    # a comment inside the function, line 22\n"
    assert "# A comment that inspect.getsource(module) must keep." in inspect.getsource(report)


def test_values():
    assert report.ratio(1, 4) == 0.25
    assert report.describe(1) == "1 item"
    assert report.describe(2) == "2 items"
