# Runs a command the way a user at a terminal would: in a new session whose
# controlling terminal is a pseudo-terminal (so that TIOCSTI has a terminal to type
# into), with two extra descriptors left open on a directory (a shell's `3<dir`, a CI
# runner's leaked descriptor: fd 3, which Node marks close-on-exec for its children,
# and fd 100, which it does not). Prints one JSON line: exit status, everything written
# to the terminal, and the input still waiting on the terminal (injected keystrokes the
# user's shell would read next).
#
# usage: pty-run.py TIMEOUT_SECONDS FD_DIR CWD -- PROGRAM ARGS...
import base64
import fcntl
import json
import os
import select
import signal
import sys
import termios
import time

timeout, fd_dir, cwd = float(sys.argv[1]), sys.argv[2], sys.argv[3]
argv = sys.argv[5:]
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    try:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        d = os.open(fd_dir, os.O_RDONLY | os.O_DIRECTORY)
        for target in (3, 100):
            os.dup2(d, target, inheritable=True)
        if d not in (3, 100):
            os.close(d)
        os.chdir(cwd)
        os.execvp(argv[0], argv)
    except BaseException as e:
        os.write(2, f'pty-run: {e}\n'.encode())
        os._exit(127)

out = bytearray()
status = None
timed_out = False
started = time.time()
drain_until = None
while True:
    ready, _, _ = select.select([master], [], [], 0.05)
    if ready:
        try:
            out += os.read(master, 65536)
        except OSError:
            pass
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            drain_until = time.time() + 0.1
        elif time.time() - started > timeout:
            timed_out = True
            os.killpg(pid, signal.SIGKILL)
    elif not ready and time.time() > drain_until:
        break

# Whatever is still queued as input on the terminal.
attrs = termios.tcgetattr(slave)
attrs[3] &= ~(termios.ICANON | termios.ECHO)
attrs[6][termios.VMIN] = 0
attrs[6][termios.VTIME] = 0
termios.tcsetattr(slave, termios.TCSANOW, attrs)
pending = b''
try:
    pending = os.read(slave, 65536)
except OSError:
    pass
print(json.dumps({
    'status': os.waitstatus_to_exitcode(status),
    'timedOut': timed_out,
    'output': base64.b64encode(bytes(out)).decode(),
    'pending': base64.b64encode(pending).decode(),
}))
