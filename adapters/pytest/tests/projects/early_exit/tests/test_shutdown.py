from exitpkg import shutdown


def test_add():
    assert shutdown.add(2, 3) == 5


def test_continues():
    assert shutdown.exit_on_failure(0) == "continued"


def test_stop_when_done():
    assert shutdown.stop_when_done(3) == 3


def test_booted(booted):
    assert booted is True


def test_add_more():
    assert shutdown.add(-2, 2) == 0
