// Which plain-HTTP methods go through to an allowed host.
//
// An install only reads from a registry. Writing to it is how a worm spreads with a token
// it stole (Shai-Hulud published itself into the victims' packages): `npm publish`,
// `npm unpublish`, `npm dist-tag`, `npm deprecate`, `npm owner` and `npm login` are PUT or
// DELETE requests, token creation is a POST, a PyPI upload is a POST to /legacy/. So only
// GET, HEAD and OPTIONS pass, plus POST to npm's audit endpoints, which `npm install`
// calls on its own (`/-/npm/v1/security/advisories/bulk`, `/-/npm/v1/security/audits/quick`).
//
// This applies to plain http:// only. Through CONNECT the request is encrypted and its
// method invisible to the proxy: for HTTPS registries, publish protection rests on the
// registry credentials never reaching the code that runs install scripts (docs/promises.md#p7-two-phase-installs).

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// An optional registry path prefix (`/artifactory/api/npm/npm-remote`), then the audit
// tree. Segments are plain characters only: no percent escapes, no `.` or `..` a server
// could normalise into another endpoint.
const AUDIT_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*\/-\/npm\/v1\/security(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;

/** undefined when the method may be sent to path; else why not (one line). */
export function refuseMethod(method: string, path: string): string | undefined {
  const m = method.toUpperCase();
  if (READ_METHODS.has(m)) return undefined;
  if (m === 'POST' && isNpmAuditPath(path)) return undefined;
  switch (m) {
    case 'PUT':
      return 'PUT is refused: it is how packages are published, unpublished and dist-tagged and how npm login works';
    case 'DELETE':
      return 'DELETE is refused: it is how packages and tokens are removed from a registry';
    case 'PATCH':
      return 'PATCH is refused: installs never change a registry';
    case 'POST':
      return 'POST is refused (only npm audit requests may be posted): it is how PyPI uploads and npm tokens are made';
    default:
      return `${m} is refused: installs only read from a registry (GET, HEAD, OPTIONS)`;
  }
}

export function isNpmAuditPath(path: string): boolean {
  const q = path.indexOf('?');
  const pathname = q >= 0 ? path.slice(0, q) : path;
  return AUDIT_PATH.test(pathname);
}
