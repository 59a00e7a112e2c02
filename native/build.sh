#!/bin/sh
# Builds sp-confine, the landlock backend's jail helper (native/sp-confine.c), and
# sp-bridge, the sandbox's network bridge (native/sp-bridge.c), as static executables for
# x86-64 and arm64 into dist/native/, so that one package works on glibc and musl
# (Alpine) images alike. Run by `npm run build`. Without sp-bridge the sandbox runs the
# bridge in Node (src/net/jail-bridge.ts), which starts slower.
#
# Needs a C compiler: gcc (Debian: apt-get install gcc libc6-dev); for the arm64 build,
# aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross).
# A compiler that is missing skips that architecture with a line saying so; the host's
# own architecture is required (without it the landlock backend cannot run here).
set -eu
cd "$(dirname "$0")/.."
out=dist/native
mkdir -p "$out"
flags="-O2 -Wall -Wextra -Werror -static -s -fstack-protector-strong -D_FORTIFY_SOURCE=2"
host=$(uname -m)
build() { # arch compiler
  if command -v "$2" >/dev/null 2>&1; then
    for prog in sp-confine sp-bridge; do
      # shellcheck disable=SC2086
      "$2" $flags -o "$out/$prog-$1.tmp" "native/$prog.c"
      mv "$out/$prog-$1.tmp" "$out/$prog-$1"
    done
  elif [ "$1" = "$host" ]; then
    echo "native/build.sh: $2 not found: cannot build sp-confine for this machine ($1); install gcc and libc6-dev" >&2
    exit 1
  else
    echo "native/build.sh: $2 not found: sp-confine for $1 not built (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)" >&2
  fi
}
case "$host" in
  x86_64) build x86_64 gcc; build aarch64 aarch64-linux-gnu-gcc ;;
  aarch64) build aarch64 gcc; build x86_64 x86_64-linux-gnu-gcc ;;
  *) echo "native/build.sh: no sp-confine for $host (x86-64 and arm64 only)" >&2 ;;
esac
