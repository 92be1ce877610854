"""Eight tests that each catch the same gremlins; each sleeps a random 0-3 ms, so their
measured durations differ from one baseline to the next in random order."""

import random
import time

from noisypkg import grid


def nap():
    time.sleep(random.uniform(0, 0.003))


def test_cell_0():
    nap()
    assert grid.cell(0, 0, 4) == 0
    assert grid.inside(grid.cell(0, 0, 4), 4, 1)
    assert not grid.inside(4, 4, 1)


def test_cell_1():
    nap()
    assert grid.cell(1, 2, 4) == 6
    assert grid.inside(grid.cell(1, 2, 4), 4, 2)
    assert not grid.inside(8, 4, 2)


def test_cell_2():
    nap()
    assert grid.cell(2, 3, 5) == 13
    assert grid.inside(grid.cell(2, 3, 5), 5, 3)
    assert not grid.inside(15, 5, 3)


def test_cell_3():
    nap()
    assert grid.cell(3, 1, 3) == 10
    assert grid.inside(grid.cell(3, 1, 3), 3, 4)
    assert not grid.inside(12, 3, 4)


def test_cell_4():
    nap()
    assert grid.cell(4, 4, 6) == 28
    assert grid.inside(grid.cell(4, 4, 6), 6, 5)
    assert not grid.inside(30, 6, 5)


def test_cell_5():
    nap()
    assert grid.cell(5, 0, 2) == 10
    assert grid.inside(grid.cell(5, 0, 2), 2, 6)
    assert not grid.inside(12, 2, 6)


def test_cell_6():
    nap()
    assert grid.cell(6, 6, 7) == 48
    assert grid.inside(grid.cell(6, 6, 7), 7, 7)
    assert not grid.inside(49, 7, 7)


def test_cell_7():
    nap()
    assert grid.cell(7, 2, 8) == 58
    assert grid.inside(grid.cell(7, 2, 8), 8, 8)
    assert not grid.inside(64, 8, 8)
