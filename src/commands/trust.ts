// `safe-package trust`: the user has read ./.safe-package/config.json and accepts it,
// loosening keys included (docs/promises.md#p2-configuration). The file's SHA-256 is recorded; any later edit
// un-trusts it.

import { lstatSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Io } from '../cli/io.js';
import { EXIT_SAFE_PACKAGE_FAILED } from '../exit-codes.js';
import { parseConfigText, projectConfigPath } from '../config/load.js';
import { overlayUntrusted } from '../config/layer.js';
import { ConfigError } from '../config/schema.js';
import { readTrustStore, sha256Hex, trustStateOf, writeTrust } from '../config/trust.js';
import { neutralise } from '../util/untrusted-text.js';

export async function runTrust(args: readonly string[], io: Io, name: string): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`usage: ${name} trust [--show]\n  trusts ./.safe-package/config.json as it is now (its SHA-256 is recorded in ~/.safe-package/trusted.json);\n  --show prints what it would allow without trusting it\n`);
    return 0;
  }
  const unknown = args.filter((a) => a !== '--show');
  if (unknown.length) {
    io.stderr.write(`${name}: trust: unexpected argument ${unknown[0]}\n`);
    return EXIT_SAFE_PACKAGE_FAILED;
  }
  const home = userInfo().homedir;
  const path = projectConfigPath(process.cwd());
  let raw: Buffer;
  try {
    if (lstatSync(path).isSymbolicLink()) throw new ConfigError(`${path} is a symbolic link; refusing to trust it`);
    raw = readFileSync(path);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${name}: error: ${err.message}\n`);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    io.stderr.write(`${name}: error: no project config at ${path}\n`);
    return EXIT_SAFE_PACKAGE_FAILED;
  }
  let layer;
  try {
    layer = parseConfigText(raw.toString('utf8'), path, 'project');
  } catch (err) {
    io.stderr.write(`${name}: error: ${(err as Error).message}\n`);
    return EXIT_SAFE_PACKAGE_FAILED;
  }
  const sha = sha256Hex(raw);
  // Show exactly what trusting changes: the settings that are ignored today.
  const { ignored } = overlayUntrusted({}, layer.values, layer.where);
  io.stdout.write(`${path}\n  sha256 ${sha}\n`);
  if (ignored.length === 0) io.stdout.write('  it only tightens policy; it already applies without trust\n');
  for (const ig of ignored) {
    io.stdout.write(`  ${ig.key} = ${neutralise(JSON.stringify(layer.values[ig.key]))}  (${ig.reason})\n`);
  }
  if (args.includes('--show')) {
    io.stdout.write(`  state: ${trustStateOf(readTrustStore(home), path, sha)}\n`);
    return 0;
  }
  writeTrust(home, path, sha);
  io.stdout.write(`trusted; any edit to the file un-trusts it\n`);
  return 0;
}
