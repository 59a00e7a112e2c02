// Child-process entry point for a test registry: `node launch.js CONFIG_FILE`.
//
// Runs verdaccio through its programmatic API so that it can listen on port 0 (the
// kernel picks a free port, so parallel test files never race for one) and report the
// port it got back to the parent over the IPC channel.
//
// The IPC channel is also the lifeline: when the test process dies, however it dies
// (a failed assertion that skips stop(), SIGKILL from a timeout), the channel closes
// and this process exits, so no registry outlives the tests that started it.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

export interface LaunchMessage {
  readonly ready: true;
  readonly port: number;
}

/**
 * What the bulk advisory endpoint answers, read from a JSON file on every request (the
 * test writes it: TestRegistry.setAdvisories). Absent file: the endpoint answers that
 * nothing is known. verdaccio itself has no such endpoint (its audit plugin forwards to
 * the public registry, which an offline registry must not).
 */
export interface AdvisoryFile {
  /** false: answer 404, as registries without the endpoint do. */
  readonly endpoint: boolean;
  /** Package name → the advisories the endpoint returns for it (npm audit's bulk format). */
  readonly advisories: Readonly<Record<string, readonly Record<string, unknown>[]>>;
}

export const ADVISORY_PATH = '/-/npm/v1/security/advisories/bulk';

function readAdvisoryFile(path: string | undefined): AdvisoryFile {
  if (!path) return { endpoint: true, advisories: {} };
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AdvisoryFile;
  } catch {
    return { endpoint: true, advisories: {} };
  }
}

function answerAdvisories(file: string | undefined, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const config = readAdvisoryFile(file);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!config.endpoint) return send(404, { error: 'not found' });
    if (req.method !== 'POST') return send(405, { error: 'method not allowed' });
    let body: unknown;
    try {
      let raw = Buffer.concat(chunks);
      if (/gzip/i.test(String(req.headers['content-encoding'] ?? ''))) raw = gunzipSync(raw);
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(400, { error: 'bad request body' });
    }
    const out: Record<string, unknown> = {};
    for (const name of Object.keys((body ?? {}) as Record<string, unknown>)) {
      const list = config.advisories[name];
      if (list?.length) out[name] = list;
    }
    send(200, out);
  });
}

interface VerdaccioModule {
  runServer(configPath: string): Promise<Server>;
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (configPath === undefined || process.send === undefined) {
    throw new Error('usage: node launch.js CONFIG_FILE, started with an IPC channel');
  }
  process.on('disconnect', () => process.exit(0));

  const require = createRequire(import.meta.url);
  let verdaccio: VerdaccioModule;
  try {
    verdaccio = require('verdaccio') as VerdaccioModule;
  } catch (err) {
    throw new Error('cannot load verdaccio, a devDependency: run `npm ci` in the project', {
      cause: err,
    });
  }
  const server = await verdaccio.runServer(configPath);
  // The advisory endpoint in front of verdaccio; every other request goes to verdaccio.
  const advisoryFile = process.argv[3];
  const app = server.listeners('request').slice() as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if ((req.url ?? '').split('?')[0] === ADVISORY_PATH) return answerAdvisories(advisoryFile, req, res);
    for (const listener of app) listener.call(server, req, res);
  });
  server.on('error', (err) => {
    console.error(`test registry: server error: ${err.stack ?? String(err)}`);
    process.exit(1);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') {
      console.error(`test registry: unexpected listen address ${String(address)}`);
      process.exit(1);
    }
    const message: LaunchMessage = { ready: true, port: address.port };
    process.send?.(message);
  });
}

main().catch((err: unknown) => {
  console.error(`test registry: failed to start: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
