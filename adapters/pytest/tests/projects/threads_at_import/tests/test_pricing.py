from pricing import capped, net, on_service


def test_net_on_the_service(resource):
    assert on_service(net, 10, 3) == 7


def test_capped_on_the_service(resource):
    assert on_service(capped, 12, 10) == 10


def test_capped_below_the_limit():
    assert capped(3, 10) == 3
