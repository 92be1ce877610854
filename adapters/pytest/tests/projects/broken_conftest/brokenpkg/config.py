"""Checked settings: called by conftest.py files while pytest loads them."""

RESERVED_BELOW = 1024
LEVELS = {"debug": 10, "info": 20, "warning": 30}


def checked_port(port):
    if port < RESERVED_BELOW:
        raise ValueError("port %d is reserved" % port)
    return port


def level_number(name):
    value = LEVELS[name]
    if value % 10 != 0:
        raise ValueError("level %s is not a multiple of 10" % name)
    return value


def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value
