"""Arithmetic on plain numbers."""


def add(a, b):
    return a + b


def subtract(a, b):
    return a - b


def multiply(a, b):
    return a * b


def divide(a, b):
    if b == 0:
        raise ZeroDivisionError("division by zero")
    return a / b


def power(base, exponent):
    return base ** exponent


def clamp(value, low, high):
    """value limited to [low, high]."""
    if low > high:
        raise ValueError("empty range")
    if value < low:
        return low
    if value > high:
        return high
    return value


def is_even(n):
    return n % 2 == 0


def sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0
