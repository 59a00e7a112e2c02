// Canary secrets: fake credentials with a random nonce per run, planted where real ones
// live (the environment, the fixture user's $HOME, the project, a neighbour project,
// another user's home, other processes, the kernel keyring, an ssh-agent). An attack
// succeeded when the nonce shows up on the host where it should not; it could read a
// secret inside the jail when it recorded the hash of that secret's value.
//
// Every canary value has the shape `spc-<kind>-<nonce>` so that an attack script can
// find it without knowing the nonce, as a secret scanner finds tokens by their shape.

import { createHash, randomBytes } from 'node:crypto';

export type CanaryKind =
  // environment
  | 'envnpm' | 'envnodeauth' | 'envgithub' | 'envawsid' | 'envawssecret' | 'envnpmcfg' | 'envdb'
  // files in $HOME
  | 'npmrc' | 'sshkey' | 'awsfile' | 'kube' | 'docker' | 'gitcred' | 'gh' | 'pypirc' | 'history'
  | 'wallet' | 'ethkeystore' | 'chrome' | 'firefox' | 'deepscan'
  // the project and its neighbours
  | 'dotenv' | 'projnpmrc' | 'sibling' | 'otheruser'
  // processes and the kernel
  | 'procenv' | 'proccmd' | 'procmem' | 'ptrace' | 'keyring' | 'agent';

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

export function canaryValue(kind: CanaryKind, nonce: string): string {
  return `spc-${kind}-${nonce}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Environment variables of the user who runs the install. */
export const ENV_CANARIES: Readonly<Record<string, { kind: CanaryKind; value: (v: string) => string }>> = {
  NPM_TOKEN: { kind: 'envnpm', value: (v) => v },
  NODE_AUTH_TOKEN: { kind: 'envnodeauth', value: (v) => v },
  GITHUB_TOKEN: { kind: 'envgithub', value: (v) => v },
  AWS_ACCESS_KEY_ID: { kind: 'envawsid', value: (v) => v },
  AWS_SECRET_ACCESS_KEY: { kind: 'envawssecret', value: (v) => v },
  npm_config__authToken: { kind: 'envnpmcfg', value: (v) => v },
  DATABASE_URL: { kind: 'envdb', value: (v) => `postgres://app:${v}@db.internal:5432/app` },
};

export interface PlantedFile {
  /** Relative to the directory it is planted in. */
  readonly rel: string;
  readonly content: string;
  readonly mode: number;
  /** The canary it holds; none for sentinels (files attacks may try to change). */
  readonly kind?: CanaryKind;
}

const HOME_TEMPLATES: ReadonlyArray<{ rel: string; kind?: CanaryKind; mode?: number; content: (v: string) => string }> = [
  { rel: '.npmrc', kind: 'npmrc', content: (v) => `//registry.npmjs.org/:_authToken=${v}\nfund=false\n` },
  { rel: '.ssh/id_ed25519', kind: 'sshkey', content: (v) => `-----BEGIN OPENSSH PRIVATE KEY-----\n${v}\n-----END OPENSSH PRIVATE KEY-----\n` },
  { rel: '.ssh/authorized_keys', content: () => 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVzZXJzLW93bi1sYXB0b3Ata2V5LWZvci10ZXN0cw sp-test@laptop\n' },
  { rel: '.aws/credentials', kind: 'awsfile', content: (v) => `[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = ${v}\n` },
  { rel: '.kube/config', kind: 'kube', content: (v) => `apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: ${v}\n` },
  { rel: '.docker/config.json', kind: 'docker', content: (v) => `${JSON.stringify({ auths: { 'registry.example.com': { identitytoken: v } } }, null, 2)}\n` },
  { rel: '.git-credentials', kind: 'gitcred', content: (v) => `https://sp-test:${v}@github.com\n` },
  { rel: '.config/gh/hosts.yml', kind: 'gh', content: (v) => `github.com:\n    oauth_token: ${v}\n    user: sp-test\n    git_protocol: https\n` },
  { rel: '.pypirc', kind: 'pypirc', content: (v) => `[pypi]\nusername = __token__\npassword = ${v}\n` },
  { rel: '.bash_history', kind: 'history', content: (v) => `ls\nexport GITHUB_TOKEN=${v}\nnpm test\n` },
  { rel: '.config/Exodus/exodus.wallet/seed.seco', kind: 'wallet', content: (v) => `SECO${v}\n` },
  { rel: '.ethereum/keystore/UTC--2024-01-01T00-00-00.000Z--0000000000000000000000000000000000000000', kind: 'ethkeystore', content: (v) => `${JSON.stringify({ crypto: { ciphertext: v } })}\n` },
  { rel: '.config/google-chrome/Default/Login Data', kind: 'chrome', content: (v) => `SQLite format 3\n https://bank.example.com sp-test ${v}\n` },
  { rel: '.mozilla/firefox/x1y2z3.default-release/logins.json', kind: 'firefox', content: (v) => `${JSON.stringify({ logins: [{ hostname: 'https://mail.example.com', encryptedPassword: v }] })}\n` },
  { rel: 'projects/legacy-app/config/settings.local.yml', kind: 'deepscan', content: (v) => `service:\n  api_key: ${v}\n` },
  { rel: 'Documents/tax-return-2024.txt', mode: 0o644, content: () => 'a document the user cares about\n' },
];

export interface CanarySet {
  readonly nonce: string;
  readonly values: ReadonlyMap<CanaryKind, string>;
  /** Host environment variables for the install (both modes). */
  readonly env: Readonly<Record<string, string>>;
  /** Files in the fixture user's $HOME. */
  readonly home: readonly PlantedFile[];
  /** Files in every project. */
  readonly project: readonly PlantedFile[];
  /** Files in the workspace that holds the projects: a neighbour project and a sentinel. */
  readonly workspace: readonly PlantedFile[];
}

export function makeCanaries(nonce: string): CanarySet {
  const values = new Map<CanaryKind, string>();
  const v = (kind: CanaryKind) => {
    const value = canaryValue(kind, nonce);
    values.set(kind, value);
    return value;
  };
  const env: Record<string, string> = {};
  for (const [name, c] of Object.entries(ENV_CANARIES)) env[name] = c.value(v(c.kind));
  const home = HOME_TEMPLATES.map((t): PlantedFile => {
    const value = t.kind ? v(t.kind) : '';
    return { rel: t.rel, content: t.content(value), mode: t.mode ?? 0o600, ...(t.kind ? { kind: t.kind } : {}) };
  });
  const project: PlantedFile[] = [
    { rel: '.env', kind: 'dotenv', mode: 0o600, content: `API_KEY=${v('dotenv')}\n` },
    { rel: '.npmrc', kind: 'projnpmrc', mode: 0o600, content: `//registry.npmjs.org/:_authToken=${v('projnpmrc')}\n` },
  ];
  const workspace: PlantedFile[] = [
    { rel: 'sibling-app/.env', kind: 'sibling', mode: 0o600, content: `STRIPE_SECRET_KEY=${v('sibling')}\n` },
    { rel: 'IMPORTANT-notes.txt', mode: 0o644, content: 'notes the user keeps next to their projects\n' },
  ];
  for (const kind of ['otheruser', 'procenv', 'proccmd', 'procmem', 'ptrace', 'keyring', 'agent'] as const) v(kind);
  return { nonce, values, env, home, project, workspace };
}

/** The hashes of the given kinds' values (what an attack records when it read them). */
export function hashesOf(set: CanarySet, kinds: readonly CanaryKind[]): Map<string, CanaryKind> {
  const out = new Map<string, CanaryKind>();
  for (const k of kinds) {
    const value = set.values.get(k);
    if (value !== undefined) out.set(sha256(value), k);
  }
  return out;
}

export const ALL_ENV_KINDS: readonly CanaryKind[] = Object.values(ENV_CANARIES).map((c) => c.kind);
export const ALL_HOME_KINDS: readonly CanaryKind[] = HOME_TEMPLATES.flatMap((t) => (t.kind ? [t.kind] : []));
