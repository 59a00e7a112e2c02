// Child-process entry point for a test registry: `node launch.js CONFIG_FILE`.
//
// Runs verdaccio through its programmatic API so that it can listen on port 0 (the
// kernel picks a free port, so parallel test files never race for one) and report the
// port it got back to the parent over the IPC channel.
//
// The IPC channel is also the lifeline: when the test process dies, however it dies
// (a failed assertion that skips stop(), SIGKILL from a timeout), the channel closes
// and this process exits, so no registry outlives the tests that started it.

import type { Server } from 'node:http';
import { createRequire } from 'node:module';

export interface LaunchMessage {
  readonly ready: true;
  readonly port: number;
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
