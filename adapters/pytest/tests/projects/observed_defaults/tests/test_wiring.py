from obs import wiring


def test_handler_doc_shows_the_default():
    assert "scale=2" in wiring.HANDLER_DOC


def test_slots():
    assert len(wiring.SLOTS) == 3


def test_table_is_a_mapping():
    assert dict(wiring.Table(a=1)) == {"a": 1}
