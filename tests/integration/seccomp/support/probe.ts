// The probe that runs inside the jail: /usr/bin/python3 with ctypes, because it can
// make any syscall with any register contents (including garbage in high words), which
// neither Node nor a shell can.
//
// Each probe runs in its own forked child, so a call that succeeds (unshare, personality)
// cannot change the conditions of the next, and a child killed by SIGSYS is reported as
// such. Arguments are chosen so that, without the filter, the kernel answers something
// other than EPERM (EFAULT from a bad pointer, EINVAL from bad flags, EBADF, success):
// that is what lets each assertion tell the filter from the kernel.
//
// Output: one JSON object, probe name → "ok" | "ok:injected=<chars>" | "errno:<NAME>"
// | "signal:<NAME>" | "exception:...".

export const PROBE_PY = String.raw`import ctypes, errno, fcntl, json, mmap, os, pty, select, signal, sys, termios, tty

CONFIG = json.loads(sys.argv[1])
NR = CONFIG["nr"]
ARCH = CONFIG["arch"]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
U64 = (1 << 64) - 1

def outcome(ret, err):
    if ret == -1:
        return "errno:" + errno.errorcode.get(err, str(err))
    return "ok"

def raw(name_or_nr, *args):
    nr = NR[name_or_nr] if isinstance(name_or_nr, str) else name_or_nr
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), *[ctypes.c_ulong(a & U64) for a in args])
    return outcome(ret, ctypes.get_errno())

def libc_call(fname, *args):
    """Through glibc's own wrapper, so its syscall number is checked too."""
    f = getattr(libc, fname)
    f.restype = ctypes.c_long if fname in LONG_RESULT else ctypes.c_int
    ctypes.set_errno(0)
    ret = f(*[ctypes.c_ulong(a & U64) if isinstance(a, int) else a for a in args])
    return outcome(ret, ctypes.get_errno())

def via(fname, sysname, *args):
    return libc_call(fname, *args) if hasattr(libc, fname) else raw(sysname, *args)

LONG_RESULT = {"ptrace", "process_vm_readv", "process_vm_writev"}
BAD = 1  # an address the kernel cannot read: EFAULT once an argument is copied in

def clone(flags):
    """Raw clone(flags), fork-style; the child leaves at once."""
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(NR["clone"]), ctypes.c_ulong(flags & U64), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    if ret == 0:
        os._exit(0)
    if ret > 0:
        os.waitpid(ret, 0)
        return "ok"
    return outcome(-1, ctypes.get_errno())

def tty_ioctl(cmd):
    """ioctl on a real pty; for TIOCSTI, reads back what was typed into it."""
    master, slave = pty.openpty()
    # A new session whose controlling terminal is this pty: TIOCSTI needs exactly that.
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    tty.setraw(slave)
    arg = ctypes.create_string_buffer(b"Z", 256)  # room for a struct termios too
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(NR["ioctl"]), ctypes.c_ulong(slave), ctypes.c_ulong(cmd & U64), arg)
    result = outcome(ret, ctypes.get_errno())
    if result == "ok" and (cmd & 0xffffffff) == 0x5412:
        ready, _, _ = select.select([slave], [], [], 1.0)
        result = "ok:injected=" + (os.read(slave, 16).decode() if ready else "")
    return result

def i386_getpid():
    """getpid through the i386 ABI (int 0x80), which seccomp reports as AUDIT_ARCH_I386."""
    code = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    code.write(b"\xb8\x14\x00\x00\x00\xcd\x80\xc3")  # mov eax, 20 (i386 getpid); int 0x80; ret
    fn = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(code)))
    return "ok" if fn() == os.getpid() else "wrong"

def readwrite():
    fd = os.open("/usr/bin/env", os.O_RDONLY)
    head = os.read(fd, 4)
    os.close(fd)
    r, w = os.pipe()
    os.write(w, head)
    return "ok" if os.read(r, 4) == b"\x7fELF" else "wrong"

CLONE_NEWUSER = 0x10000000
SIGCHLD = 17
PROBES = {
    "ptrace": lambda: via("ptrace", "ptrace", 0, 0, 0, 0),  # PTRACE_TRACEME
    "process_vm_readv": lambda: via("process_vm_readv", "process_vm_readv", os.getpid(), 0, 0, 0, 0, 0),
    "process_vm_writev": lambda: via("process_vm_writev", "process_vm_writev", os.getpid(), 0, 0, 0, 0, 0),
    "pidfd_getfd": lambda: via("pidfd_getfd", "pidfd_getfd", -1, 0, 0),
    "keyctl": lambda: raw("keyctl", 0, -3, 0),  # KEYCTL_GET_KEYRING_ID, session keyring
    "add_key": lambda: raw("add_key", BAD, BAD, 0, 0, -2),
    "request_key": lambda: raw("request_key", BAD, BAD, 0, 0),
    "io_uring_setup": lambda: raw("io_uring_setup", 1, BAD),
    "io_uring_enter": lambda: raw("io_uring_enter", -1, 0, 0, 0, 0, 0),
    "io_uring_register": lambda: raw("io_uring_register", -1, 0, 0, 0),
    "bpf": lambda: raw("bpf", 0, BAD, 8),
    "perf_event_open": lambda: raw("perf_event_open", BAD, 0, -1, -1, 0),
    "userfaultfd": lambda: raw("userfaultfd", 1),  # UFFD_USER_MODE_ONLY
    "mount": lambda: via("mount", "mount", BAD, BAD, BAD, 0, 0),
    "umount2": lambda: via("umount2", "umount2", BAD, 0),
    "pivot_root": lambda: raw("pivot_root", BAD, BAD),
    "chroot": lambda: via("chroot", "chroot", b"/nonexistent-sp-probe"),
    "move_mount": lambda: via("move_mount", "move_mount", -1, BAD, -1, BAD, 0xffffffff),
    "open_tree": lambda: via("open_tree", "open_tree", -1, BAD, 0xffffffff),
    "open_tree_attr": lambda: raw("open_tree_attr", -1, BAD, 0xffffffff, 0, 0),
    "fsopen": lambda: via("fsopen", "fsopen", BAD, 0xffffffff),
    "fsconfig": lambda: via("fsconfig", "fsconfig", -1, 0xff, 0, 0, 0),
    "fsmount": lambda: via("fsmount", "fsmount", -1, 0xffffffff, 0),
    "fspick": lambda: via("fspick", "fspick", -1, BAD, 0xffffffff),
    "mount_setattr": lambda: via("mount_setattr", "mount_setattr", -1, BAD, 0xffffffff, 0, 0),
    "open_by_handle_at": lambda: via("open_by_handle_at", "open_by_handle_at", -1, BAD, 0),
    "init_module": lambda: via("init_module", "init_module", 0, 0, BAD),
    "finit_module": lambda: raw("finit_module", -1, BAD, 0),
    "delete_module": lambda: via("delete_module", "delete_module", b"sp_probe_none", 0),
    "kexec_load": lambda: raw("kexec_load", 0, 0, 0, 0),
    "kexec_file_load": lambda: raw("kexec_file_load", -1, -1, 0, 0, 0),
    "setns": lambda: via("setns", "setns", -1, 0),
    "acct": lambda: via("acct", "acct", BAD),
    "swapon": lambda: via("swapon", "swapon", BAD, 0),
    "swapoff": lambda: via("swapoff", "swapoff", BAD),
    "reboot": lambda: raw("reboot", 0, 0, 0, 0),  # wrong magic
    "syslog": lambda: via("klogctl", "syslog", 10, 0, 0),  # SYSLOG_ACTION_SIZE_BUFFER
    "personality(ADDR_NO_RANDOMIZE)": lambda: raw("personality", 0x0040000),
    "personality(query)": lambda: raw("personality", 0xffffffff),
    "unshare(CLONE_NEWUSER)": lambda: via("unshare", "unshare", CLONE_NEWUSER),
    "unshare(high word)": lambda: raw("unshare", 1 << 32),
    "clone(CLONE_NEWUSER)": lambda: clone(CLONE_NEWUSER | SIGCHLD),
    "clone(CLONE_NEWUSER, high word)": lambda: clone((1 << 32) | CLONE_NEWUSER | SIGCHLD),
    "clone(fork, high word)": lambda: clone((0xffffffff << 32) | SIGCHLD),
    "clone3": lambda: raw("clone3", 0, 0),
    "ioctl(TIOCSTI)": lambda: tty_ioctl(0x5412),
    "ioctl(TIOCSTI, high word)": lambda: tty_ioctl((1 << 32) | 0x5412),
    "ioctl(TIOCLINUX)": lambda: tty_ioctl(0x541C),
    "ioctl(TIOCLINUX, high word)": lambda: tty_ioctl((0xdeadbeef << 32) | 0x541C),
    "ioctl(TCGETS)": lambda: tty_ioctl(0x5401),
    "read/write/openat": readwrite,
}
if ARCH == "x86_64":
    PROBES["x32 getpid"] = lambda: raw(0x40000000 | 39)
    PROBES["i386 int 0x80 getpid"] = i386_getpid

def run(name, fn):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            result = fn()
        except Exception as e:
            result = "exception:" + type(e).__name__ + ":" + str(e)
        os.write(w, result.encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "signal:" + signal.Signals(os.WTERMSIG(status)).name
    return data.decode()

only = CONFIG.get("only")
results = {name: run(name, fn) for name, fn in PROBES.items() if not only or name in only}
print(json.dumps(results))
`;

/** The JSON handed to the probe as sys.argv[1]. */
export interface ProbeConfig {
  readonly arch: string;
  readonly nr: Readonly<Record<string, number>>;
  /** Run only these probes (all when absent). */
  readonly only?: readonly string[];
}

export type ProbeResults = Record<string, string>;
