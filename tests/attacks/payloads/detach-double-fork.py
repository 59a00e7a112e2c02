# The classic daemon: fork, setsid, fork again, ignore SIGHUP (nohup), so the survivor
# is nobody's child and has no session leader to be hung up with.
import os
import signal
import time
from pylib import cfg, did, finish, processes_named

tag = 'sp-survivor-' + cfg['runTag']
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.execv('/bin/sh', ['/bin/sh', '-c', 'trap "" HUP; while :; do sleep 1; done', tag])
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(0.3)
if processes_named(tag):
    did('spawned')
finish()
