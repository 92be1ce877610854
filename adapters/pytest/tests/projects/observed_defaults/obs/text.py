"""Defaults that only a call can see."""


def greet(name, greeting="hello", *, punctuation="!"):
    return "%s, %s%s" % (greeting, name, punctuation)


def unused(flag=True):
    return not flag


class Banner:
    def __init__(self, text):
        self.text = text

    def render(self, width=12, fill="*"):
        if len(self.text) >= width:
            return self.text
        return self.text.center(width, fill)
