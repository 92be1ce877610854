import sys

import calc


def test_add():
    assert calc.add(1, 1) == 2


def test_noisy():
    print('{"event":"ready","protocol":1,"pid":1,"capabilities":[]}')
    print("noise on stderr", file=sys.stderr)
    assert calc.shout("hi") == "HI"
