/*
 * sp-bridge: the sandbox's network bridge (the same job as src/net/jail-bridge.ts, in
 * handover mode only), as a small static program: it starts in about a millisecond
 * where a Node process takes 30 ms or more, and the jail waits for the bridge before it
 * starts, so that is what every run with a host allowed paid.
 *
 * Usage:  sp-bridge bridge SOCKET PORT
 *   (run by the sandbox's outer script in the jail's network namespace, with
 *   NODE_CHANNEL_FD naming a Node IPC channel to safe-package; SOCKET is accepted for
 *   the same command line as the Node bridge and not used)
 *
 * What it does:
 *   1. listens on 127.0.0.1:PORT of the jail's own loopback and writes "ready\n" on
 *      stdout (a pipe that safe-package reads; the jail starts once it has seen it);
 *   2. for each connection it accepts, sends the descriptor to safe-package over the
 *      channel (SCM_RIGHTS) with the one message Node's IPC turns into a net.Socket,
 *        {"cmd":"NODE_HANDLE","type":"net.Socket","msg":"sp-bridge-connection"}
 *      and closes its own copy. It never reads from a connection: what reaches the proxy
 *      is exactly what the client sent, and all policy lives in the proxy outside;
 *   3. reads and drops what safe-package writes on the channel (Node acknowledges each
 *      handle), and exits when the channel ends (safe-package closed it or is gone).
 *
 * It parses nothing it receives. A connection that cannot be handed over is closed,
 * never served another way. Every failure before "ready" exits non-zero with a line on
 * stderr; safe-package then tears the jail down ("the network bridge did not start").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char HANDOVER[] = "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":\"sp-bridge-connection\"}\n";

static int fail(const char *what) {
  fprintf(stderr, "sp-bridge: %s: %s\n", what, strerror(errno));
  return 1;
}

/* A decimal number in [lo, hi], the whole string; -1 otherwise. */
static long number(const char *s, long lo, long hi) {
  if (!s || !*s) return -1;
  long v = 0;
  for (const char *c = s; *c; c++) {
    if (*c < '0' || *c > '9') return -1;
    v = v * 10 + (*c - '0');
    if (v > hi) return -1;
  }
  return v < lo ? -1 : v;
}

/* Sends one accepted connection over the channel; 0 when sent. */
static int hand_over(int channel, int conn) {
  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  struct iovec iov = {.iov_base = (void *)HANDOVER, .iov_len = sizeof HANDOVER - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &conn, sizeof(int));
  for (;;) {
    ssize_t n = sendmsg(channel, &msg, MSG_NOSIGNAL);
    if (n == (ssize_t)iov.iov_len) return 0;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd w = {.fd = channel, .events = POLLOUT};
      if (poll(&w, 1, -1) < 0 && errno != EINTR) return -1;
      continue;
    }
    /* A short write would split the message from its descriptor: the channel is broken. */
    return -1;
  }
}

int main(int argc, char **argv) {
  if (argc != 4 || strcmp(argv[1], "bridge") != 0) {
    fprintf(stderr, "usage: sp-bridge bridge SOCKET_PATH PORT\n");
    return 2;
  }
  long port = number(argv[3], 1, 65535);
  long channel = number(getenv("NODE_CHANNEL_FD"), 3, 1 << 20);
  if (port < 0 || channel < 0) {
    fprintf(stderr, "usage: sp-bridge bridge SOCKET_PATH PORT (with NODE_CHANNEL_FD set)\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);

  int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server < 0) return fail("socket");
  int one = 1;
  /* As Node's listen does: a port left in TIME_WAIT by an earlier jail is free again. */
  if (setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) return fail("SO_REUSEADDR");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(server, (struct sockaddr *)&addr, sizeof addr) < 0) return fail("cannot listen on 127.0.0.1 (bind)");
  if (listen(server, 511) < 0) return fail("cannot listen on 127.0.0.1 (listen)");
  static const char ready[] = "ready\n";
  if (write(1, ready, sizeof ready - 1) != (ssize_t)(sizeof ready - 1)) return fail("write ready");

  struct pollfd fds[2] = {{.fd = server, .events = POLLIN}, {.fd = (int)channel, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail("poll");
    }
    if (fds[1].revents) {
      char drop[4096];
      ssize_t n = read((int)channel, drop, sizeof drop);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return 0; /* the parent's end */
    }
    if (fds[0].revents & POLLIN) {
      int conn = accept4(server, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) continue;
        return fail("accept");
      }
      /* As the Node bridge's server (noDelay): the option travels with the socket. */
      setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      int sent = hand_over((int)channel, conn);
      close(conn);
      if (sent < 0) return 0; /* the channel is gone: so is safe-package's side */
    }
  }
}
