"""Prices, computed on a service thread that this module starts when it is imported."""
import queue
import threading

_requests = queue.Queue()


def _serve():
    while 1:
        fn, args, reply = _requests.get()
        try:
            reply.put((fn(*args), None))
        except Exception as exc:  # handed to the caller, the service goes on
            reply.put((None, exc))


threading.Thread(target=_serve, name="pricing-service", daemon=bool(1)).start()


def on_service(fn, *args):
    """fn(*args), computed on the service thread."""
    reply = queue.Queue()
    _requests.put((fn, args, reply))
    value, error = reply.get()
    if error is not None:
        raise error
    return value


def net(price, discount):
    return price - discount


def capped(value, limit):
    if value > limit:
        return limit
    return value
