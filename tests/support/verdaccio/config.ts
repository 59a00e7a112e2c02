// The verdaccio configuration for a test registry, as plain data.
//
// Written to disk as JSON: YAML is a superset of JSON, so verdaccio's YAML loader reads
// it, and JSON.stringify quotes temporary paths correctly whatever they contain.

export interface VerdaccioConfigOptions {
  /** Directory holding published packages (and mirrored ones, with an uplink). */
  readonly storageDir: string;
  /** The htpasswd file the test user is created in. */
  readonly htpasswdFile: string;
  /** When true, reading packages needs a token: anonymous installs get 401. */
  readonly auth: boolean;
  /** Upstream registry to mirror (e.g. https://registry.npmjs.org/); none means offline. */
  readonly uplink?: string;
}

/** Name of the single uplink, when there is one. */
export const UPLINK_NAME = 'upstream';

export function verdaccioConfig(options: VerdaccioConfigOptions): Record<string, unknown> {
  const reader = options.auth ? '$authenticated' : '$all';
  const access: Record<string, unknown> = {
    access: reader,
    // Publishing always needs the test user's token, as on a real registry: a test that
    // publishes anonymously would be testing a registry nobody runs.
    publish: '$authenticated',
    unpublish: '$authenticated',
  };
  if (options.uplink !== undefined) access['proxy'] = UPLINK_NAME;

  return {
    storage: options.storageDir,
    // bcrypt at its minimum cost: the password is random and thrown away with the
    // registry, and verdaccio's default (10 rounds of pure-JS bcrypt) costs ~0.1 s.
    auth: { htpasswd: { file: options.htpasswdFile, max_users: 100, rounds: 4 } },
    // JWT tokens are checked with an HMAC; verdaccio's legacy tokens re-run the password
    // check (bcrypt) on every authenticated request, ~0.1 s each.
    security: { api: { jwt: { sign: { expiresIn: '7d' } } } },
    uplinks:
      options.uplink === undefined
        ? {}
        : { [UPLINK_NAME]: { url: options.uplink, timeout: '30s', max_fails: 3 } },
    packages: { '@*/*': access, '**': access },
    // No web UI, and no `middlewares` key: verdaccio then loads no npm-audit proxy, which
    // would forward audit requests to the public registry; an offline registry must not.
    web: { enable: false },
    max_body_size: '50mb',
    log: { type: 'stdout', format: 'pretty-timestamped', level: 'http' },
  };
}

export function renderVerdaccioConfig(options: VerdaccioConfigOptions): string {
  return `${JSON.stringify(verdaccioConfig(options), null, 2)}\n`;
}
