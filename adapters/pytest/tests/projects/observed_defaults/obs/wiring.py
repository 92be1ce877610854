"""Defaults seen without a call of their function."""

import collections
import pydoc


def handler(value, scale=2):
    return value * scale


#: pydoc reads handler's signature, defaults included, at import time.
HANDLER_DOC = pydoc.render_doc(handler, renderer=pydoc.plaintext)


def make(size=3):
    return [0] * size


#: Made at import time by a call that uses the default.
SLOTS = make()


class Table(collections.UserDict):
    def rows(self, limit=5):
        return sorted(self.data)[:limit]
