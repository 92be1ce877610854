"""The protocol channel: request lines in on GREMLIN_REQUEST_FD, events out on
GREMLIN_REPLY_FD, one JSON object per line (docs/protocol.md).  The protocol never uses
stdin, stdout or stderr: those belong to the tests."""

import json
import os

from ..errors import UsageError


def protocol_fds():
    """(request fd, reply fd) from the environment, both blocking; else a UsageError."""
    fds = []
    for name in ("GREMLIN_REQUEST_FD", "GREMLIN_REPLY_FD"):
        value = os.environ.get(name)
        if value is None or not value.isdigit():
            raise UsageError("%s must be set to a file descriptor number (got %r)"
                             % (name, value))
        fd = int(value)
        if fd <= 2:
            raise UsageError("%s=%d: the protocol never uses stdin/stdout/stderr" % (name, fd))
        try:
            os.set_blocking(fd, True)  # the runtime's end may be non-blocking; ours must not
        except OSError:
            raise UsageError("%s=%d is not an open descriptor" % (name, fd)) from None
        fds.append(fd)
    return fds[0], fds[1]


class Channel:
    """Request lines in (buffered, so requests may be pipelined), events out."""

    def __init__(self, request_fd, reply_fd):
        self.request_fd = request_fd
        self.reply_fd = reply_fd
        self.buffer = bytearray()
        self.eof = False
        self.lines_read = 0

    def fill(self):
        chunk = os.read(self.request_fd, 1 << 16)
        if chunk:
            self.buffer += chunk
        else:
            self.eof = True

    def next_line(self):
        """The next request line (bytes), or None at end of file."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0 or (self.eof and self.buffer):
                end = len(self.buffer) if end < 0 else end
                line = bytes(self.buffer[:end])
                del self.buffer[:end + 1]
                self.lines_read += 1
                return line
            if self.eof:
                return None
            self.fill()

    def send(self, event):
        data = (json.dumps(event, separators=(",", ":")) + "\n").encode("utf-8")
        while data:
            data = data[os.write(self.reply_fd, data):]
