# A fork bomb, bounded so that the test machine survives it: as many processes as it
# can get, up to params.bound, held for a moment, then released.
import os
import time
from pylib import cfg, did, note, finish

bound = int(cfg['params']['bound'])
r, w = os.pipe()
children = 0
error = None
for _ in range(bound):
    try:
        pid = os.fork()
    except OSError as e:
        error = e.strerror
        break
    if pid == 0:
        os.close(w)
        try:
            os.read(r, 1)
        finally:
            os._exit(0)
    children += 1
if children > 0:
    did('forked')
if error:
    note(f'fork stopped after {children}: {error}')
time.sleep(1.0)
os.close(w)
for _ in range(children):
    try:
        os.wait()
    except ChildProcessError:
        break
finish()
