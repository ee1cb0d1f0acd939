#!/usr/bin/env python3
"""Time the profile picker as a person meets it, on a pseudo-terminal.

Usage: benches/picker.py AWSENV_BINARY CONFIG [ROUNDS]

Each round starts `awsenv assume` with no profile on a fresh 120x40 pty and measures:
first frame (process start to the picker's whole first frame on the terminal: config
loaded, every profile ranked, lines drawn) and, for each key of a typed filter, the time
from the key to the end of the redrawn frame. Then Esc. Prints a Markdown table.
"""
import os
import pty
import re
import select
import statistics
import struct
import sys
import time

import fcntl
import termios

FRAME_END = b"to cancel)"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
QUERY = "p09996"
DEADLINE = 10.0


def read_until_frame(fd, started):
    """Bytes up to the end of the next whole frame; the time it ended."""
    seen = b""
    while time.monotonic() - started < DEADLINE:
        ready, _, _ = select.select([fd], [], [], DEADLINE)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if FRAME_END in ANSI.sub(b"", seen):
            return time.monotonic(), seen
    raise SystemExit(f"no frame within {DEADLINE} s; the terminal showed: {seen[-400:]!r}")


def one_round(binary, config):
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        env = dict(os.environ, AWS_CONFIG_FILE=config, TERM="xterm-256color")
        for name in ("AWS_PROFILE", "AWSENV_PROFILE"):
            env.pop(name, None)
        os.execve(binary, [binary, "assume", "--shell", "sh"], env)
    first, _ = read_until_frame(fd, started)
    keys = []
    for ch in QUERY:
        sent = time.monotonic()
        os.write(fd, ch.encode())
        done, _ = read_until_frame(fd, sent)
        keys.append(done - sent)
    os.write(fd, b"\x1b")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    if os.waitstatus_to_exitcode(status) != 130:
        raise SystemExit(f"Esc should exit 130, got {os.waitstatus_to_exitcode(status)}")
    return first - started, keys


def main():
    binary, config = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    one_round(binary, config)  # warm-up: page cache, binary
    firsts, keys = [], []
    for _ in range(rounds):
        first, per_key = one_round(binary, config)
        firsts.append(first * 1000)
        keys.extend(k * 1000 for k in per_key)
    print("| picker, 10,000 profiles, on a pty | median [ms] | mean [ms] | max [ms] | samples |")
    print("|:---|---:|---:|---:|---:|")
    for name, ms in (
        ("first frame (start to whole frame drawn)", firsts),
        (f"one typed key of `{QUERY}` (key to frame redrawn)", keys),
    ):
        print(
            f"| {name} | {statistics.median(ms):.2f} | {statistics.mean(ms):.2f} "
            f"| {max(ms):.2f} | {len(ms)} |"
        )


if __name__ == "__main__":
    main()
