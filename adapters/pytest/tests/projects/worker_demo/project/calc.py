"""A tiny library: the original, uninstrumented sources."""
import os
import subprocess


def add(a, b):
    return a + b


def is_positive(x):
    return x > 0


def countdown(n):
    steps = 0
    while n > 0:
        n = n - 1
        steps += 1
    return steps


def mean(values):
    return sum(values) / len(values)


def start_helper(pidfile):
    return None


def make_config():
    return {"debug": False}


def shout(text):
    return text.upper()
