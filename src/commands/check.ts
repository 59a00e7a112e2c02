// `safe-package check`: the judgement of the current project's lockfile without
// installing anything (no jail: nothing of the packages is downloaded or run). Prints the
// same block as a run's summary; exit 4 on a refusal, for CI.

import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs, UsageError, type CliOptions } from '../cli/args.js';
import type { Io } from '../cli/io.js';
import { EXIT_JUDGEMENT_REFUSED, EXIT_SAFE_PACKAGE_FAILED } from '../exit-codes.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/schema.js';
import { overlay } from '../config/layer.js';
import { cacheDirFor } from '../host/facts.js';
import { readToolConfig } from '../profiles/tool-config.js';
import { chooseStyle, neutralise } from '../report/summary.js';
import { judgeContext, type JudgedTool, type NpmrcText } from '../judge/host.js';
import { judgeTree } from '../judge/judge.js';
import { judgementLines } from '../judge/summary.js';
import { readTree } from '../judge/tree.js';
import { LockfileError } from '../judge/lockfile.js';
import { writeCheckReport } from '../judge/check-report.js';

export const CHECK_USAGE = 'check [--min-release-age AGE] [--min-release-age-exclude NAME]... [--malware-db DIR] [--strict] [--json] [-q] [--report FILE]';

export async function runCheck(before: CliOptions, args: readonly string[], io: Io, name: string): Promise<number> {
  const err = (m: string) => io.stderr.write(`${name}: error: ${neutralise(m)}\n`);
  let after: CliOptions;
  try {
    after = parseArgs(args);
    if (after.positionals.length || after.command) throw new UsageError(`check takes no arguments (usage: ${name} ${CHECK_USAGE})`);
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    throw e;
  }
  const cli = overlay(before.config, after.config);
  const json = before.json || after.json;
  const quiet = before.quiet || after.quiet;
  const info = userInfo();
  const cwd = process.cwd();
  let config;
  try {
    config = loadConfig({ home: info.homedir, cwd, uid: info.uid, cli });
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    throw e;
  }
  const tool: JudgedTool | undefined = (['npm', 'pnpm', 'yarn'] as const).find((t) => readTree({ lower: cwd }, t).lockfiles.length > 0);
  if (!tool) {
    err(`no lockfile to check in ${cwd} (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml or yarn.lock)`);
    return EXIT_SAFE_PACKAGE_FAILED;
  }
  // The user's own npm configuration, credentials included: read here, sent only as a header.
  const tc = readToolConfig({ source: 'npm', hostEnv: process.env, home: info.homedir, jailHome: info.homedir, nodePath: process.execPath });
  const npmrc: NpmrcText[] = tc.files.map((f) => ({ path: f.from, text: tc.credentials.files.find((c) => c.path === f.path)?.content ?? f.content }));
  const ctx = judgeContext({ tool, config, npmrc, env: process.env, projectDir: cwd, cacheDir: join(cacheDirFor(info.homedir, process.env, info.uid, false), 'judge') });
  let judgement;
  try {
    const tree = readTree({ lower: cwd }, tool);
    judgement = await judgeTree({ packages: tree.packages, lockfiles: tree.lockfiles, settings: ctx.settings, registry: ctx.registry, cacheDir: ctx.cacheDir });
  } catch (e) {
    if (e instanceof LockfileError) {
      err(e.message);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    throw e;
  }
  // --report FILE: the same judgement, as a file (the run's report carries it under `judgement`).
  if (config.values.report) {
    try {
      writeCheckReport(config.values.report, judgement);
    } catch (e) {
      err(`cannot write the report to ${config.values.report}: ${(e as Error).message}`);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
  }
  if (json) io.stdout.write(`${JSON.stringify(judgement, null, 2)}\n`);
  else {
    const style = chooseStyle(io.stdout.isTTY === true, process.env);
    const lines = judgementLines(judgement, style, quiet, 'refused: an install of this lockfile through safe-package would stop here');
    for (const l of lines) io.stdout.write(`${l.replace(/^ {2}/, '')}\n`);
  }
  return judgement.verdict === 'refused' ? EXIT_JUDGEMENT_REFUSED : 0;
}
