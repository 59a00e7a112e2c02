/*
 * sp-confine: the jail of safe-package's landlock backend, for hosts where namespaces
 * are refused (containers with Docker's default profile, Kubernetes pods, Ubuntu 24.04's
 * restricted user namespaces). Node cannot make the system calls this needs, so this
 * small program does, and nothing else.
 *
 * Usage:  sp-confine            reads a spec on fd 3, runs the program it names
 *         sp-confine --probe    prints what the kernel offers, as one JSON line
 *         sp-confine --whiteout PATH...
 *                               makes overlayfs deletion markers (0:0 character devices,
 *                               which Linux >= 5.8 lets anyone create) for staged writes
 *                               made without overlayfs; Node has no mknod
 *
 * The spec is text, one "key value" per line (value: the rest of the line):
 *   arg V       the program (first) and its arguments, in order
 *   cwd P       working directory of the program
 *   uid N/gid N switch to this identity (only when started as root)
 *   rlimit R N  R in nproc, fsize, nofile, core, as; soft and hard limit N
 *   ro P        Landlock: read and execute beneath P
 *   rw P        Landlock: read, write, create, remove beneath P (no devices)
 *   rwnolink P  the same, but P is opened with RESOLVE_NO_SYMLINKS: a link planted
 *               anywhere on its path (by an earlier step of the jail) is refused
 *   rwfile P    Landlock: read and write the file P (e.g. /dev/null)
 *   port N      Landlock: TCP connect to port N is allowed (nothing else, no bind)
 *   anynet 1    Landlock: TCP is not restricted (network "host")
 *   minabi N    refuse to run when the kernel's Landlock ABI is below N
 *   seccomp H   a classic BPF program, hex, loaded last before exec
 *   timeout S   after S seconds: SIGTERM to the program, SIGKILL to every process 5 s later
 *   chroot P    the chroot backend: chroot(P) before the identity changes; cwd is then
 *               a path inside P
 *   bind P      (with chroot, in a mount namespace of its own) bind the host's P at the
 *               same path inside the chroot; the mount point must exist there
 *   hidefile P  (after the binds) cover the file at P inside the chroot with /dev/null
 *   hidedir P   (after the binds) cover the directory at P inside the chroot with an
 *               empty, read-only tmpfs
 *   nofs 1      Landlock: no file-system rules (the chroot is the file-system boundary);
 *               only TCP and scoping
 *   hostmntns N the inode of the mount namespace safe-package runs in: bind and hide
 *               refuse to mount there
 *   nolandlock 1  run without Landlock (only where the kernel has none and a namespace
 *               keeps the promise Landlock would; safe-package decides that)
 *
 * What it does, in order (every step's failure stops the run with exit 125 and a
 * "sp-confine: ..." line on stderr; the program never starts half-confined):
 *   1. becomes child subreaper (every descendant that is orphaned comes back to it),
 *      non-dumpable (no same-uid ptrace or /proc/PID/mem of it), its own session
 *   2. lowers the rlimits; with chroot: makes the binds and covers (every target opened
 *      without following links), then chroot(2) and chdir("/")
 *   3. as root: clears supplementary groups, sets gid then uid (real, effective, saved),
 *      and checks that root cannot be regained; capabilities go with uid 0
 *   4. no_new_privs: setuid and file-capability programs cannot raise privileges
 *   5. Landlock ruleset: file-system access only as the ro/rw lines say; TCP bind never,
 *      connect only to the listed ports (ABI >= 4); abstract Unix sockets and signals
 *      scoped to the jail (ABI >= 6)
 *   6. forks the program, which additionally: enters a nested Landlock domain that scopes
 *      signals (so it cannot signal this supervisor), closes every descriptor above 2,
 *      changes directory, loads the seccomp filter and execs
 *   7. forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 to the program; SIGALRM
 *      means "tear down now"
 *   8. when the program exits: SIGKILL to every process left (its descendants, found
 *      through /proc/self/task/T/children; as root, also kill(-1) as the jail user), until
 *      none is left; then reports {"exit-code": N} on fd 4 and exits with the program's
 *      status (128+N for a signal)
 * fd 4 (when open) gets {"child-pid": N} once the program has been exec'd.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* <linux/landlock.h> of older distributions lacks the newer parts: the ABI is stable. */
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_REMOVE_DIR (1ULL << 4)
#define FS_REMOVE_FILE (1ULL << 5)
#define FS_MAKE_CHAR (1ULL << 6)
#define FS_MAKE_DIR (1ULL << 7)
#define FS_MAKE_REG (1ULL << 8)
#define FS_MAKE_SOCK (1ULL << 9)
#define FS_MAKE_FIFO (1ULL << 10)
#define FS_MAKE_BLOCK (1ULL << 11)
#define FS_MAKE_SYM (1ULL << 12)
#define FS_REFER (1ULL << 13)     /* ABI 2 */
#define FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define NET_CONNECT_TCP (1ULL << 1)
#define SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define SCOPE_SIGNAL (1ULL << 1)

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define RESOLVE_NO_SYMLINKS_ 0x04

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};
struct open_how_ {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

#define EXIT_SETUP 125
#define MAX_ITEMS 4096

static void die(const char *fmt, ...) {
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dprintf(2, "sp-confine: %s\n", buf);
	_exit(EXIT_SETUP);
}

static int ll_abi(void) {
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

static uint64_t fs_rights(int abi) {
	uint64_t r = (1ULL << 13) - 1; /* ABI 1: EXECUTE .. MAKE_SYM */
	if (abi >= 2) r |= FS_REFER;
	if (abi >= 3) r |= FS_TRUNCATE;
	if (abi >= 5) r |= FS_IOCTL_DEV;
	return r;
}

static const uint64_t FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV;

struct spec {
	char *argv[MAX_ITEMS + 1];
	int argc;
	char *cwd;
	long uid, gid;
	struct { int res; rlim_t value; } rl[16];
	int nrl;
	char *ro[MAX_ITEMS], *rw[MAX_ITEMS], *rwnolink[MAX_ITEMS], *rwfile[MAX_ITEMS];
	int nro, nrw, nrwnolink, nrwfile;
	long ports[64];
	int nports;
	int anynet;
	int minabi;
	unsigned char *bpf;
	size_t bpflen;
	long timeout;
	char *chroot;
	char *bind[MAX_ITEMS], *hidefile[MAX_ITEMS], *hidedir[MAX_ITEMS];
	int nbind, nhidefile, nhidedir;
	int nofs, nolandlock;
	long hostmntns;
};

static int hexval(char c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

static long number(const char *key, const char *v) {
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < 0) die("spec: %s needs a non-negative number, not \"%s\"", key, v);
	return n;
}

static void push(char **list, int *n, char *v, const char *key) {
	if (*n >= MAX_ITEMS) die("spec: too many %s lines", key);
	list[(*n)++] = v;
}

static void read_spec(struct spec *s) {
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	if (!buf) die("out of memory");
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= (64u << 20)) die("spec on fd 3 is larger than 64 MiB");
			cap *= 2;
			if (!(buf = realloc(buf, cap))) die("out of memory");
		}
		ssize_t r = read(3, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) die("cannot read the spec on fd 3: %s", strerror(errno));
		if (r == 0) break;
		len += (size_t)r;
	}
	close(3);
	buf[len] = 0;
	if (memchr(buf, 0, len)) die("spec: NUL byte");
	memset(s, 0, sizeof *s);
	s->uid = s->gid = -1;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next) *next++ = 0;
		char *v = strchr(line, ' ');
		if (!v) die("spec: line without a value: \"%s\"", line);
		*v++ = 0;
		if (!strcmp(line, "arg")) push(s->argv, &s->argc, v, "arg");
		else if (!strcmp(line, "cwd")) s->cwd = v;
		else if (!strcmp(line, "uid")) s->uid = number(line, v);
		else if (!strcmp(line, "gid")) s->gid = number(line, v);
		else if (!strcmp(line, "ro")) push(s->ro, &s->nro, v, "ro");
		else if (!strcmp(line, "rw")) push(s->rw, &s->nrw, v, "rw");
		else if (!strcmp(line, "rwnolink")) push(s->rwnolink, &s->nrwnolink, v, "rwnolink");
		else if (!strcmp(line, "rwfile")) push(s->rwfile, &s->nrwfile, v, "rwfile");
		else if (!strcmp(line, "port")) {
			if (s->nports >= 64) die("spec: too many ports");
			long p = number(line, v);
			if (p < 1 || p > 65535) die("spec: bad port %ld", p);
			s->ports[s->nports++] = p;
		} else if (!strcmp(line, "anynet")) s->anynet = number(line, v) != 0;
		else if (!strcmp(line, "minabi")) s->minabi = (int)number(line, v);
		else if (!strcmp(line, "timeout")) s->timeout = number(line, v);
		else if (!strcmp(line, "chroot")) s->chroot = v;
		else if (!strcmp(line, "bind")) push(s->bind, &s->nbind, v, "bind");
		else if (!strcmp(line, "hidefile")) push(s->hidefile, &s->nhidefile, v, "hidefile");
		else if (!strcmp(line, "hidedir")) push(s->hidedir, &s->nhidedir, v, "hidedir");
		else if (!strcmp(line, "nofs")) s->nofs = number(line, v) != 0;
		else if (!strcmp(line, "nolandlock")) s->nolandlock = number(line, v) != 0;
		else if (!strcmp(line, "hostmntns")) s->hostmntns = number(line, v);
		else if (!strcmp(line, "rlimit")) {
			char *n = strchr(v, ' ');
			if (!n) die("spec: rlimit needs a name and a value");
			*n++ = 0;
			int res = !strcmp(v, "nproc") ? RLIMIT_NPROC : !strcmp(v, "fsize") ? RLIMIT_FSIZE
			        : !strcmp(v, "nofile") ? RLIMIT_NOFILE : !strcmp(v, "core") ? RLIMIT_CORE
			        : !strcmp(v, "as") ? RLIMIT_AS : -1;
			if (res < 0) die("spec: unknown rlimit %s", v);
			if (s->nrl >= 16) die("spec: too many rlimits");
			s->rl[s->nrl].res = res;
			s->rl[s->nrl++].value = (rlim_t)number("rlimit", n);
		} else if (!strcmp(line, "seccomp")) {
			size_t n = strlen(v);
			if (n % 16 != 0 || n == 0) die("spec: seccomp program must be whole 8-byte instructions in hex");
			s->bpflen = n / 2;
			s->bpf = malloc(s->bpflen);
			if (!s->bpf) die("out of memory");
			for (size_t i = 0; i < s->bpflen; i++) {
				int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
				if (hi < 0 || lo < 0) die("spec: seccomp program is not lower-case hex");
				s->bpf[i] = (unsigned char)(hi << 4 | lo);
			}
		} else die("spec: unknown key \"%s\"", line);
	}
	if (s->argc == 0) die("spec: no program (arg line)");
	if (!s->cwd) die("spec: no cwd line");
	if (!s->bpf) die("spec: no seccomp program");
	if ((s->uid < 0) != (s->gid < 0)) die("spec: uid and gid go together");
	if (!s->chroot && (s->nbind || s->nhidefile || s->nhidedir)) die("spec: bind and hide need chroot");
	for (int i = 0; i < s->nbind; i++) if (s->bind[i][0] != '/') die("spec: bind needs an absolute path");
	s->argv[s->argc] = NULL;
}

static void add_path_rule(int ruleset, const char *path, uint64_t rights, int no_symlinks, int optional) {
	int fd;
	if (no_symlinks) {
		struct open_how_ how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS_ };
		fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	} else {
		fd = open(path, O_PATH | O_CLOEXEC);
	}
	if (fd < 0) {
		if (optional && errno == ENOENT) return;
		die("cannot open %s for a Landlock rule: %s%s", path, strerror(errno),
		    errno == ELOOP ? " (a symbolic link where a writable directory was expected)" : "");
	}
	struct stat st;
	if (fstat(fd, &st) < 0) die("fstat %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) rights &= FILE_RIGHTS;
	struct ll_path_beneath_attr attr = { .allowed_access = rights, .parent_fd = fd };
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &attr, 0) < 0)
		die("landlock_add_rule %s: %s", path, strerror(errno));
	close(fd);
}

/* O_PATH descriptor of a path, refusing a symbolic link anywhere on it. */
static int open_nolinks(const char *path) {
	struct open_how_ how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS_ };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	if (fd < 0) die("cannot open %s: %s%s", path, strerror(errno), errno == ELOOP ? " (a symbolic link on the path)" : "");
	return fd;
}

/* mount(2) on descriptors (through /proc/self/fd): what was checked is what is mounted. */
static void mount_fd(const char *what, int src, const char *fstype, int dst, unsigned long flags, const char *data, const char *target) {
	char from[64], to[64];
	if (src >= 0) snprintf(from, sizeof from, "/proc/self/fd/%d", src);
	snprintf(to, sizeof to, "/proc/self/fd/%d", dst);
	if (mount(src >= 0 ? from : what, to, fstype, flags, data) < 0) die("cannot mount over %s: %s", target, strerror(errno));
}

static void inside(char *out, size_t n, const char *root, const char *path) {
	if ((size_t)snprintf(out, n, "%s%s", root, path) >= n) die("path too long: %s%s", root, path);
}

static void enter_chroot(const struct spec *s) {
	char target[PATH_MAX];
	if (s->nbind || s->nhidefile || s->nhidedir) {
		/* Mounts only ever in a mount namespace of our own, never in the one safe-package
		 * runs in (its inode is in the spec: hostmntns). */
		struct stat self_ns;
		if (s->hostmntns == 0) die("spec: bind and hide need hostmntns");
		if (stat("/proc/self/ns/mnt", &self_ns) < 0) die("cannot tell which mount namespace this is: %s", strerror(errno));
		if ((long)self_ns.st_ino == s->hostmntns) die("bind and hide need a mount namespace of their own; this is safe-package's");
		/* Nothing mounted here may reach another mount namespace. */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("cannot make the mounts private: %s", strerror(errno));
	}
	for (int i = 0; i < s->nbind; i++) {
		inside(target, sizeof target, s->chroot, s->bind[i]);
		int src = open_nolinks(s->bind[i]), dst = open_nolinks(target);
		mount_fd(NULL, src, NULL, dst, MS_BIND | MS_REC, NULL, target);
		close(src);
		close(dst);
	}
	int devnull = s->nhidefile ? open_nolinks("/dev/null") : -1;
	for (int i = 0; i < s->nhidefile; i++) {
		inside(target, sizeof target, s->chroot, s->hidefile[i]);
		int dst = open_nolinks(target);
		mount_fd(NULL, devnull, NULL, dst, MS_BIND, NULL, target);
		close(dst);
	}
	if (devnull >= 0) close(devnull);
	for (int i = 0; i < s->nhidedir; i++) {
		inside(target, sizeof target, s->chroot, s->hidedir[i]);
		int dst = open_nolinks(target);
		mount_fd("tmpfs", -1, "tmpfs", dst, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000", target);
		close(dst);
	}
	if (chroot(s->chroot) < 0) die("chroot %s: %s", s->chroot, strerror(errno));
	if (chdir("/") < 0) die("chdir / in the chroot: %s", strerror(errno));
}

static void apply_landlock(const struct spec *s, int abi) {
	uint64_t handled = s->nofs ? 0 : fs_rights(abi);
	struct ll_ruleset_attr attr = { .handled_access_fs = handled };
	size_t size = sizeof(uint64_t);
	if (abi >= 4) {
		size = 2 * sizeof(uint64_t);
		if (!s->anynet) attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
	}
	if (abi >= 6) {
		size = sizeof attr;
		attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
	}
	/* Nothing to restrict (no file-system rules, TCP left alone, no scoping below ABI 6). */
	if (!attr.handled_access_fs && !attr.handled_access_net && !attr.scoped) return;
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs < 0) die("landlock_create_ruleset: %s", strerror(errno));
	const uint64_t ro = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR;
	const uint64_t rw = handled & ~(FS_MAKE_CHAR | FS_MAKE_BLOCK | FS_IOCTL_DEV);
	for (int i = 0; i < s->nro; i++) add_path_rule(rs, s->ro[i], ro & handled, 0, 1);
	for (int i = 0; i < s->nrw; i++) add_path_rule(rs, s->rw[i], rw, 0, 0);
	for (int i = 0; i < s->nrwnolink; i++) add_path_rule(rs, s->rwnolink[i], rw, 1, 0);
	for (int i = 0; i < s->nrwfile; i++) add_path_rule(rs, s->rwfile[i], (FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE) & handled, 0, 1);
	if (attr.handled_access_net) {
		for (int i = 0; i < s->nports; i++) {
			struct ll_net_port_attr p = { .allowed_access = NET_CONNECT_TCP, .port = (uint64_t)s->ports[i] };
			if (syscall(SYS_landlock_add_rule, rs, LL_RULE_NET_PORT, &p, 0) < 0)
				die("landlock_add_rule port %ld: %s", s->ports[i], strerror(errno));
		}
	}
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0) die("landlock_restrict_self: %s", strerror(errno));
	close(rs);
}

/* A nested domain that only scopes signals and abstract sockets: the program cannot
 * signal its supervisor, which sits in the outer domain. */
static void scope_nested(int abi) {
	if (abi < 6) return;
	struct ll_ruleset_attr attr = { .scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL };
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rs < 0) die("landlock_create_ruleset (nested): %s", strerror(errno));
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0) die("landlock_restrict_self (nested): %s", strerror(errno));
	close(rs);
}

static void drop_identity(const struct spec *s) {
	if (s->uid < 0) return;
	if (geteuid() != 0) die("uid/gid given but not started as root");
	if (s->uid == 0) die("refusing to run the jail as uid 0");
	if (setgroups(0, NULL) < 0) die("setgroups: %s", strerror(errno));
	if (setresgid((gid_t)s->gid, (gid_t)s->gid, (gid_t)s->gid) < 0) die("setresgid: %s", strerror(errno));
	if (setresuid((uid_t)s->uid, (uid_t)s->uid, (uid_t)s->uid) < 0) die("setresuid: %s", strerror(errno));
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) die("root could be regained after dropping it");
	if (getgroups(0, NULL) != 0) die("supplementary groups are still set");
}

static void close_above_stderr(int keep) {
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		for (int fd = 3; fd < 65536; fd++) if (fd != keep) close(fd);
		return;
	}
	int dfd = dirfd(d);
	int fds[4096], n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 4096) {
		int fd = atoi(e->d_name);
		if (fd > 2 && fd != dfd && fd != keep) fds[n++] = fd;
	}
	closedir(d);
	for (int i = 0; i < n; i++) close(fds[i]);
}

static volatile sig_atomic_t program_pid = 0;
static volatile sig_atomic_t teardown = 0;

static void forward(int sig) {
	if (program_pid > 0) kill(program_pid, sig);
}
static void on_alarm(int sig) {
	(void)sig;
	teardown++;
	if (program_pid > 0) kill(program_pid, teardown == 1 ? SIGTERM : SIGKILL);
	if (teardown == 1) alarm(5);
}

/* /proc opened before a chroot: the jail root may have no /proc of its own. */
static int proc_dir = -1;

/* SIGKILL to every process below us, repeatedly, until none is left. */
static void kill_everything(int as_jail_user) {
	char path[64];
	snprintf(path, sizeof path, "self/task/%d/children", (int)getpid());
	for (int round = 0; round < 100000; round++) {
		if (as_jail_user) kill(-1, SIGKILL); /* every process of the jail user we may signal */
		int any = 0;
		int cfd = proc_dir >= 0 ? openat(proc_dir, path, O_RDONLY | O_CLOEXEC) : -1;
		FILE *f = cfd >= 0 ? fdopen(cfd, "r") : NULL;
		if (f) {
			int pid;
			while (fscanf(f, "%d", &pid) == 1) {
				any = 1;
				kill(pid, SIGKILL);
			}
			fclose(f);
		}
		int st;
		pid_t w;
		while ((w = waitpid(-1, &st, WNOHANG)) > 0) any = 1;
		if (w < 0 && errno == ECHILD && !any) return;
		if (!any) {
			/* children exist but none listed yet (a fork in flight): wait for one */
			w = waitpid(-1, &st, 0);
			if (w < 0 && errno == ECHILD) return;
		}
	}
}

static void probe(void) {
	int abi = ll_abi();
	const char *why = abi > 0 ? "" : errno == ENOSYS ? "not built into this kernel" : errno == EOPNOTSUPP ? "built in but not enabled (lsm= boot parameter)" : strerror(errno);
	printf("{\"landlock_abi\":%d,\"landlock_error\":\"%s\",\"seccomp\":%s}\n", abi, why,
	       prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 ? "true" : "false");
}

int main(int argc, char **argv) {
	if (argc == 2 && !strcmp(argv[1], "--probe")) {
		probe();
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--whiteout")) {
		for (int i = 2; i < argc; i++)
			if (mknod(argv[i], S_IFCHR | 0600, 0) < 0) die("mknod %s: %s", argv[i], strerror(errno));
		return 0;
	}
	if (argc != 1) die("usage: sp-confine (spec on fd 3) | sp-confine --probe | sp-confine --whiteout PATH...");
	struct spec s;
	read_spec(&s);
	int status_fd = fcntl(4, F_GETFD) >= 0 ? 4 : -1;
	if (status_fd >= 0) fcntl(status_fd, F_SETFD, FD_CLOEXEC);

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("PR_SET_PDEATHSIG: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0) < 0) die("PR_SET_DUMPABLE: %s", strerror(errno));
	if (setsid() < 0 && errno != EPERM) die("setsid: %s", strerror(errno));
	for (int i = 0; i < s.nrl; i++) {
		struct rlimit r = { s.rl[i].value, s.rl[i].value };
		struct rlimit old;
		getrlimit(s.rl[i].res, &old);
		if (old.rlim_max != RLIM_INFINITY && r.rlim_max > old.rlim_max) r.rlim_cur = r.rlim_max = old.rlim_max;
		if (setrlimit(s.rl[i].res, &r) < 0) die("setrlimit: %s", strerror(errno));
	}
	proc_dir = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s.chroot) enter_chroot(&s);
	int dropped = s.uid >= 0;
	drop_identity(&s);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	int abi = s.nolandlock ? 0 : ll_abi();
	if (!s.nolandlock) {
		if (abi < 1) die("the kernel has no Landlock (%s)", strerror(errno));
		if (abi < s.minabi) die("the kernel's Landlock ABI is %d; this run needs %d", abi, s.minabi);
		apply_landlock(&s, abi);
	}

	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid < 0) die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* The program: report any failure through errpipe, which exec closes. */
		close(errpipe[0]);
		int err = errpipe[1];
		sigprocmask(SIG_SETMASK, &old, NULL);
		for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
		scope_nested(abi);
		close_above_stderr(err);
		if (chdir(s.cwd) < 0) { dprintf(err, "cannot enter %s: %s", s.cwd, strerror(errno)); _exit(EXIT_SETUP); }
		struct sock_fprog prog = { .len = (unsigned short)(s.bpflen / 8), .filter = (struct sock_filter *)s.bpf };
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) { dprintf(err, "seccomp: %s", strerror(errno)); _exit(EXIT_SETUP); }
		execv(s.argv[0], s.argv);
		dprintf(err, "cannot run %s: %s", s.argv[0], strerror(errno));
		_exit(EXIT_SETUP);
	}
	close(errpipe[1]);
	char msg[1024];
	ssize_t n;
	do n = read(errpipe[0], msg, sizeof msg - 1); while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n > 0) {
		msg[n] = 0;
		int st;
		waitpid(pid, &st, 0);
		kill_everything(dropped);
		die("%s", msg);
	}
	program_pid = pid;
	if (status_fd >= 0) dprintf(status_fd, "{\"child-pid\": %d}\n", (int)pid);
	int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (unsigned i = 0; i < sizeof fwd / sizeof *fwd; i++) signal(fwd[i], forward);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (s.timeout > 0) alarm((unsigned)s.timeout);

	int st = 0;
	for (;;) {
		pid_t w = waitpid(-1, &st, 0);
		if (w == pid) break;
		if (w < 0 && errno != EINTR) die("waitpid: %s", strerror(errno));
	}
	program_pid = 0;
	kill_everything(dropped);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (status_fd >= 0) dprintf(status_fd, "{\"exit-code\": %d}\n", code);
	return code;
}
