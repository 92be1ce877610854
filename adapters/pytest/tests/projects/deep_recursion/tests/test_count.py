from recpkg import count


def test_countdown():
    assert count.countdown(50) == 50


def test_lookup():
    assert count.lookup("k0007")[1] == "v0007"
