from __future__ import annotations

import asyncio

WIDTH = 6


def accumulate(values):
    total = 0
    product = 1
    for v in values:
        total += v
        product *= v
    return total, product


def label(n):
    return f"[{n + 1:>{WIDTH - 2}}|{'even' if n % 2 == 0 else 'odd'}]"


async def fetch(x):
    await asyncio.sleep(0)
    return x ** 2 // 3


def safe_div(a, b):
    return b != 0 and a / b


def truthy(x):
    if not x:
        return False
    return True
