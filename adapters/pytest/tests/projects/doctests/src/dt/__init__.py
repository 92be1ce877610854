"""dt: helpers whose tests are mostly their doctests.

>>> from dt import clamp
>>> clamp(7, 0, 5)
5
"""
from dt.mathx import clamp, mean
