"""Prices with tax and discounts."""


def with_tax(cents, rate_percent):
    return cents + cents * rate_percent // 100


def discount(cents, percent):
    if percent < 0 or percent > 100:
        raise ValueError("percent out of range")
    return cents - cents * percent // 100


def cheapest(prices):
    best = None
    for price in prices:
        if best is None or price < best:
            best = price
    return best


def is_free(cents):
    return cents == 0
