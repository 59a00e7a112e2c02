// What sp-confine (native/sp-confine.c) is told for one jail step, as plain data, and its
// wire form: "key value" lines on fd 3. Pure.

export interface ConfineSpec {
  /** The program and its arguments. */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Switch to this identity (root only). */
  readonly identity?: { readonly uid: number; readonly gid: number };
  readonly rlimits: Readonly<Partial<Record<'nproc' | 'fsize' | 'nofile' | 'core', number>>>;
  /** Landlock: read and execute beneath. */
  readonly readOnly: readonly string[];
  /** Landlock: everything but devices beneath (directories of ours: cache, home, tmp). */
  readonly readWrite: readonly string[];
  /** The same, opened without following a link anywhere on the path (parts of the shadow an earlier step could change). */
  readonly readWriteNoLinks: readonly string[];
  /** Landlock: read and write these files (device nodes such as /dev/null). */
  readonly readWriteFiles: readonly string[];
  /** Landlock: TCP connect to these ports only; 'any' leaves TCP alone (network "host"). */
  readonly tcpConnect: readonly number[] | 'any';
  /** Refuse to start below this Landlock ABI. */
  readonly minAbi: number;
  /** The seccomp program (struct sock_filter[]). */
  readonly seccomp: Buffer;
  /** The chroot backend: the jail root; cwd is then a path inside it. */
  readonly chroot?: string;
  /** Host paths bound at the same path inside the chroot (needs a mount namespace). */
  readonly bind?: readonly string[];
  /** Paths inside the chroot covered with /dev/null (files) or an empty read-only tmpfs (directories). */
  readonly hideFiles?: readonly string[];
  readonly hideDirs?: readonly string[];
  /** Landlock without file-system rules (the chroot is the boundary): only TCP and scoping. */
  readonly noFileRules?: boolean;
  /** No Landlock at all (a kernel without it, where namespaces keep the network promise). */
  readonly noLandlock?: boolean;
  /** The inode of safe-package's own mount namespace: bind and hide refuse to mount in it. */
  readonly hostMountNs?: number;
}

export class ConfineSpecError extends Error {}

function value(key: string, v: string): string {
  // One line per value: a newline would start a line the helper reads as another rule.
  if (v.includes('\n') || v.includes('\0')) throw new ConfineSpecError(`${key} contains a newline or NUL byte: ${JSON.stringify(v)}`);
  if (v === '') throw new ConfineSpecError(`${key} is empty`);
  return v;
}

export function encodeConfineSpec(s: ConfineSpec): Buffer {
  const lines: string[] = [];
  const add = (key: string, v: string | number) => lines.push(`${key} ${value(key, String(v))}`);
  if (s.argv.length === 0) throw new ConfineSpecError('no program');
  for (const a of s.argv) {
    if (a.includes('\n') || a.includes('\0')) throw new ConfineSpecError(`an argument contains a newline or NUL byte: ${JSON.stringify(a)}`);
    // An empty argument is legitimate: the helper reads "arg " as "".
    lines.push(`arg ${a}`);
  }
  add('cwd', s.cwd);
  if (s.identity) {
    add('uid', s.identity.uid);
    add('gid', s.identity.gid);
  }
  for (const [name, n] of Object.entries(s.rlimits)) if (n !== undefined) add('rlimit', `${name} ${Math.floor(n)}`);
  for (const p of s.readOnly) add('ro', p);
  for (const p of s.readWrite) add('rw', p);
  for (const p of s.readWriteNoLinks) add('rwnolink', p);
  for (const p of s.readWriteFiles) add('rwfile', p);
  if (s.tcpConnect === 'any') add('anynet', 1);
  else for (const port of s.tcpConnect) add('port', port);
  add('minabi', s.minAbi);
  if (s.chroot !== undefined) add('chroot', s.chroot);
  for (const p of s.bind ?? []) add('bind', p);
  for (const p of s.hideFiles ?? []) add('hidefile', p);
  for (const p of s.hideDirs ?? []) add('hidedir', p);
  if (s.noFileRules) add('nofs', 1);
  if (s.noLandlock) add('nolandlock', 1);
  if (s.hostMountNs !== undefined) add('hostmntns', s.hostMountNs);
  add('seccomp', s.seccomp.toString('hex'));
  return Buffer.from(lines.join('\n') + '\n');
}
