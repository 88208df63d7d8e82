"""A dependency-free progress bar for management commands (one line on a terminal, plain lines elsewhere)."""

import sys
import time


class ProgressBar:
    def __init__(self, stream, total: int, *, width: int = 30):
        self.stream, self.total, self.width = stream, max(total, 1), width
        self.done, self.started = 0, time.monotonic()
        self.interactive = sys.stdout.isatty()

    def advance(self, steps: int = 1, label: str = "") -> None:
        self.done = min(self.total, self.done + steps)
        filled = self.width * self.done // self.total
        elapsed = time.monotonic() - self.started
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {elapsed:.1f}s {label}"
        if self.interactive:
            self.stream.write("\r" + line, ending="")
            if self.done == self.total:
                self.stream.write("")
        else:
            self.stream.write(line)
