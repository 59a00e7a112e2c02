// A CI container's security settings reproduced on the test host: root with the
// capabilities Docker leaves (no CAP_SYS_ADMIN), and Docker's refusals that decide
// whether a jail can be built (tests/support/native/docker-default.c: unshare, setns,
// mount, umount2, pivot_root, clone with namespace flags; clone3 answered ENOSYS).

import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO } from './cli.js';

/** Docker's default capability set (moby's defaults), without CAP_SYS_ADMIN. */
export const DOCKER_CAPS = ['chown', 'dac_override', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'net_bind_service', 'net_raw', 'sys_chroot', 'mknod', 'audit_write', 'setfcap'];

/** Compiles the harness into `dir` and returns its path. */
export function buildDockerHarness(dir: string): string {
  const harness = join(dir, 'docker-default');
  const cc = spawnSync('gcc', ['-O2', '-o', harness, join(REPO, 'tests/support/native/docker-default.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `gcc: ${cc.stderr}`);
  return harness;
}

/** argv that runs `argv` under the container's settings; `caps` narrows them further. */
export function inContainer(argv: readonly string[], harness: string, caps: readonly string[] = DOCKER_CAPS): string[] {
  return ['/usr/bin/setpriv', `--bounding-set=-all,${caps.map((c) => `+${c}`).join(',')}`, '--inh-caps=-all', '--', harness, ...argv];
}

/** A TCP and a UDP listener on loopback that count what reaches them (an install script must reach neither). */
export interface LoopbackSinks {
  readonly tcpPort: number;
  readonly udpPort: number;
  tcpHits(): number;
  udpHits(): number;
  close(): void;
}

export async function startLoopbackSinks(): Promise<LoopbackSinks> {
  let tcp = 0;
  let udp = 0;
  const server = createServer((s) => {
    tcp++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = createSocket('udp4').on('message', () => udp++);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return {
    tcpPort: (server.address() as { port: number }).port,
    udpPort: socket.address().port,
    tcpHits: () => tcp,
    udpHits: () => udp,
    close: () => {
      server.close();
      socket.close();
    },
  };
}
