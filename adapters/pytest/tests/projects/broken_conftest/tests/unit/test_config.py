from brokenpkg import config


def test_port(port):
    assert port == 8080


def test_debug_level(debug_level):
    assert debug_level == 10


def test_clamp_inside():
    assert config.clamp(5, 0, 10) == 5


def test_clamp_low():
    assert config.clamp(-5, 0, 10) == 0


def test_clamp_high():
    assert config.clamp(50, 0, 10) == 10
