from statepkg import registry


def test_register():
    registry.reset()
    registry.register("x", 21)
    assert registry.lookup("x") == 21


def test_double():
    assert registry.double(4) == 8
