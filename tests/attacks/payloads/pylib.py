# Python payloads reach the same record and channels as the JavaScript ones: they collect
# what they found, did and want sent, and finish() hands it all to `node lib.js batch`
# (one recorder, one format).
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, 'attack.json')) as f:
    cfg = json.load(f)


_pending = {'found': [], 'did': [], 'notes': [], 'exfil': []}


def _text(data):
    return data.decode('latin1') if isinstance(data, bytes) else str(data)


def found(data):
    _pending['found'].append(_text(data))


def exfil(data):
    _pending['exfil'].append(_text(data))


def did(name):
    _pending['did'].append(name)


def note(text):
    _pending['notes'].append(str(text))


def processes_named(needle):
    """Pids (other than ours) whose command line contains needle."""
    out = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if needle in cmdline:
            out.append(int(entry))
    return out


def finish():
    """Records everything and sends what is to be sent, in one `node lib.js batch`; always
    leaves attack-result.json behind, even when nothing worked."""
    note('finished')
    subprocess.run(['node', os.path.join(HERE, 'lib.js'), 'batch'], input=json.dumps(_pending).encode(), cwd=HERE,
                   timeout=30, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
