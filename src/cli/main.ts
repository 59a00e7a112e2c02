// safe-package, top to bottom: parse → load config → resolve policy → plan → run →
// review → report. Each step is a function of the previous step's data; the steps that
// touch the system are named for what they touch.

import { basename } from 'node:path';
import { closeInheritedDescriptors } from './close-fds.js';
import { parseArgs, UsageError, type CliOptions } from './args.js';
import { helpText } from './help.js';
import { EXIT_CANNOT_EXECUTE, EXIT_JUDGEMENT_REFUSED, EXIT_NOT_FOUND, EXIT_SAFE_PACKAGE_FAILED, EXIT_STRICT_VIOLATION, EXIT_TIMEOUT } from './exit-codes.js';
import { VERSION } from '../version.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/schema.js';
import { hostFacts } from '../host/facts.js';
import { PolicyError, resolvePolicy } from '../policy/resolve.js';
import type { Policy } from '../policy/types.js';
import { MissingToolError, RefusedToolError } from '../host/system-tools.js';
import { buildReport, writeReport } from '../report/report.js';
import { chooseStyle, neutralise, summaryLines } from '../report/summary.js';

import type { Io } from './io.js';
export type { Io } from './io.js';

const defaultIo: Io = { stdout: process.stdout, stderr: process.stderr };

function fail(io: Io, name: string, message: string, fix?: string): void {
  io.stderr.write(`${name}: error: ${neutralise(message)}\n`);
  if (fix) io.stderr.write(`${name}: fix: ${fix}\n`);
}

export async function main(argv: readonly string[], invokedAs: string, io: Io = defaultIo): Promise<number> {
  const name = invokedAs === 'spm' ? 'spm' : 'safe-package';
  if (process.platform !== 'linux') {
    // The jail is made of Linux namespaces, seccomp and overlayfs; nothing here would
    // protect anything elsewhere, and pretending to would be worse than refusing.
    fail(io, name, `${process.platform} is not supported: safe-package's jail is built from Linux kernel features (namespaces, seccomp, overlayfs)`, 'run it on Linux, or in a Linux VM or container with user namespaces');
    return EXIT_SAFE_PACKAGE_FAILED;
  }
  closeInheritedDescriptors();

  // 1. Parse.
  let cli: CliOptions;
  try {
    cli = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      fail(io, name, err.message, `see ${name} --help`);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    throw err;
  }
  if (cli.help) {
    io.stdout.write(helpText(name));
    return 0;
  }
  if (cli.version) {
    io.stdout.write(`${name} ${VERSION}\n`);
    return 0;
  }
  if (cli.command) {
    const { runCommand } = await import('../commands/index.js');
    return runCommand(cli.command, cli, io, name);
  }

  const facts = hostFacts(name);
  try {
    // 2. Configuration.
    const config = loadConfig({ home: facts.invoker.home, cwd: facts.cwd, uid: facts.invoker.uid, cli: cli.config });
    if (cli.positionals.length === 0 && config.values.exe === undefined) {
      io.stderr.write(helpText(name));
      fail(io, name, 'no program to run');
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    // 3. Policy.
    const policy = resolvePolicy(cli, config, facts);
    const { makePlan, describedPaths } = await import('../run/plan.js');
    if (cli.explain) {
      // The release age passed down to the download phase shows in its environment.
      const judged = await judgedPolicy(policy);
      // 4. Plan, printed instead of run.
      const { isStaged } = await import('../run/run.js');
      // The first phase's plan; --explain lists every phase and what it gets.
      const planned = makePlan(judged.policy, describedPaths(judged.policy, isStaged(judged.policy)), { ...(judged.policy.phases[0] ? { phase: judged.policy.phases[0] } : {}) });
      const { explainJson, explainText } = await import('../plan/explain.js');
      const jx = await import('../judge/explain.js');
      const judgement = jx.explainJudgement(judged.ctx);
      io.stdout.write(
        cli.json
          ? JSON.stringify({ ...(explainJson(judged.policy, planned.plan, planned) as object), ...(judgement ? { judgement } : {}) }, null, 2) + '\n'
          : explainText(judged.policy, planned.plan, planned) + jx.explainJudgementText(judgement),
      );
      return 0;
    }
    for (const w of policy.warnings) io.stderr.write(`${name}: warning: ${neutralise(w)}\n`);
    // auto tries the sandbox by running it; where it cannot work, the landlock backend.
    const fallback = policy.backend === 'sandbox' && (config.values.backend ?? 'auto') === 'auto' ? (reason: string) => resolvePolicy(cli, config, facts, reason) : undefined;
    return await runAndReport(policy, io, name, fallback);
  } catch (err) {
    if (err instanceof ConfigError) {
      fail(io, name, err.message);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    if (err instanceof PolicyError) {
      fail(io, name, err.message, err.fix);
      return err.exitCode;
    }
    if (err instanceof RefusedToolError) {
      fail(io, name, err.message, err.fix);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    if (err instanceof MissingToolError) {
      fail(io, name, err.message);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    throw err;
  }
}

type Fallback = (reason: string) => Policy;

/**
 * The judgement of what the download phase resolves (src/judge/): the policy with the
 * minimum release age passed down to the package manager, and the hook that judges the
 * tree before any install script runs. Profiles without a tree to judge run as they are.
 */
type JudgeContext = import('../judge/host.js').JudgeContext | import('../judge/pip-judge.js').PipJudgeContext;

async function judgedPolicy(policy: Policy): Promise<{ policy: Policy; ctx?: JudgeContext; hook?: ReturnType<typeof import('../judge/host.js').judgeHook>; note?: string }> {
  if (policy.profile.name === 'pip') return (await import('../judge/pip-run.js')).judgedPipPolicy(policy, process.env);
  if (!['npm', 'pnpm', 'yarn'].includes(policy.profile.name)) return { policy };
  const { judgeContextForPolicy, judgeHook, withPassDown } = await import('../judge/host.js');
  const ctx = judgeContextForPolicy(policy, process.env);
  if (!ctx) return { policy };
  const judged = withPassDown(policy, ctx);
  const { formatMinutes } = await import('../judge/duration.js');
  const note =
    ctx.settings.minAgeMinutes > 0 && ctx.tool !== 'yarn'
      ? `note: ${ctx.tool} was asked to resolve only versions older than ${formatMinutes(ctx.settings.minAgeMinutes)} (the minimum release age: ${ctx.settings.minAgeFrom}); if it found none, let a package through with --min-release-age-exclude NAME, or lower it with --min-release-age`
      : undefined;
  return { policy: judged, ctx, hook: judgeHook(judged, ctx), ...(note ? { note } : {}) };
}

/** The landlock backend in place of a sandbox that cannot work here; a note says why. */
async function fallBack(fallback: Fallback, reason: string, io: Io, name: string): Promise<number> {
  const policy = fallback(reason);
  io.stderr.write(`${name}: note: ${neutralise(reason)}; using the ${policy.backend} backend${policy.landlockAbi ? ` (Landlock ABI ${policy.landlockAbi})` : ''}\n`);
  return runAndReport(policy, io, name);
}

/** The typosquat check (src/judge/typosquat.ts) of the names this command adds; lines to print. */
async function typosquats(policy: Policy, ctx: JudgeContext | undefined): Promise<string[]> {
  if (!ctx || policy.backend === 'none') return [];
  if (ctx.tool === 'pip') return (await import('../judge/pip-squat.js')).pipSquatLines(policy, ctx);
  const { findSquats } = await import('../judge/typosquat-check.js');
  const { squatMessage } = await import('../judge/typosquat.js');
  try {
    return (await findSquats(policy, ctx.tool, ctx.registry, policy.config.values.allow_names ?? [])).map(squatMessage);
  } catch (err) {
    // The registry could not be asked: the release-age judgement after the download still applies.
    return policy.output.strict ? [`the typosquat check could not ask the registry: ${(err as Error).message}`] : [];
  }
}

async function runAndReport(unjudged: Policy, io: Io, name: string, fallback?: Fallback): Promise<number> {
  const { runPolicy } = await import('../run/run.js');
  const { policy, ctx: judgeCtx, hook: judging, note: resolveNote } = await judgedPolicy(unjudged);
  const { ProjectNotWritableError } = await import('../run/preflight.js');
  const { StagingUnavailableError } = await import('../stage/stage-dirs.js');
  // Names being added that look like typos of used ones: stopped before any download.
  const squats = await typosquats(policy, judgeCtx);
  if (squats.length > 0) {
    for (const s of squats) fail(io, name, s);
    return EXIT_JUDGEMENT_REFUSED;
  }
  // 4–6. Prepare, run each phase in the jail, review and commit the staged writes.
  const startedAt = new Date();
  let run;
  try {
    run = await runPolicy(policy, judging?.hook);
  } catch (err) {
    // A root-owned checkout (CI) that the jail user cannot write: the landlock backend
    // stages into a shadow of its own and needs no write access to the project.
    // Staging where no file system can hold an overlay's upper layer: the same.
    if (fallback && (err instanceof ProjectNotWritableError || err instanceof StagingUnavailableError)) {
      try {
        return await fallBack(fallback, (err as Error).message, io, name);
      } catch (second) {
        if (!(second instanceof PolicyError)) throw second;
      }
    }
    throw err;
  }
  const { outcome } = run;
  for (const note of run.notes) io.stderr.write(`${name}: ${neutralise(note)}\n`);

  if (outcome.spawnError) {
    const code = outcome.spawnError.code;
    fail(io, name, `${policy.command.path}: ${outcome.spawnError.message}`);
    return code === 'ENOENT' ? EXIT_NOT_FOUND : code === 'EACCES' ? EXIT_CANNOT_EXECUTE : EXIT_SAFE_PACKAGE_FAILED;
  }
  if (outcome.setupFailed) {
    if (policy.backend === 'sandbox' && outcome.setupProblem === undefined) {
      // The run was the try; now find out why the sandbox does not work here.
      const { probeSandbox } = await import('../backends/sandbox/probe.js');
      const { findTool } = await import('../host/system-tools.js');
      const setpriv = findTool('setpriv');
      const probe = probeSandbox(policy.dropPrivileges && setpriv ? { uid: policy.user.uid, gid: policy.user.gid, setpriv } : undefined);
      if (!probe.ok && fallback) {
        try {
          return await fallBack(fallback, `the sandbox cannot start here: ${probe.reason}`, io, name);
        } catch (err) {
          if (!(err instanceof PolicyError)) throw err;
          fail(io, name, `the sandbox is unavailable: ${probe.reason}; and ${err.message}`, probe.fix);
          return EXIT_SAFE_PACKAGE_FAILED;
        }
      }
      if (!probe.ok) {
        fail(io, name, `the sandbox is unavailable: ${probe.reason}`, probe.fix);
        return EXIT_SAFE_PACKAGE_FAILED;
      }
    }
    const what = outcome.setupProblem ?? 'see the message above';
    fail(io, name, `the ${policy.backend} backend could not start ${policy.command.exe} (${what})`, `run \`${name} doctor\``);
    return EXIT_SAFE_PACKAGE_FAILED;
  }
  if (run.commitError) {
    fail(io, name, `nothing was committed to ${policy.project.dir}: ${run.commitError}`, 'your project is as it was before the run; see the message for what to do');
    return EXIT_SAFE_PACKAGE_FAILED;
  }

  const judgeError = judging?.error();
  if (judgeError) {
    fail(io, name, `the resolved tree could not be judged, so no install script ran and nothing was committed: ${judgeError}`, 'your project is as it was before the run');
    return EXIT_JUDGEMENT_REFUSED;
  }
  const judgement = judging?.result();

  // 7. Report.
  const report = buildReport(policy, outcome, VERSION, startedAt, {
    steps: run.steps,
    blocked: run.blocked,
    contacted: run.contacted,
    ...(run.writes ?? {}),
    ...(judgement ? { judgement } : {}),
  });
  if (policy.output.report) {
    try {
      writeReport(policy.output.report, report);
    } catch (err) {
      fail(io, name, `cannot write the report to ${policy.output.report}: ${(err as Error).message}`);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
  }
  const style = chooseStyle(io.stderr.isTTY === true, process.env);
  for (const line of summaryLines(report, style, policy.output.quiet)) io.stderr.write(line + '\n');

  if (outcome.timedOut) return EXIT_TIMEOUT;
  // A download phase that failed may have found no version old enough.
  if (outcome.status !== 0 && resolveNote && run.steps.at(-1)?.phase === 'install') io.stderr.write(`${name}: ${resolveNote}\n`);
  if (outcome.status !== 0) return outcome.status;
  if (judgement?.verdict === 'refused') return EXIT_JUDGEMENT_REFUSED;
  return report.strict.violations.length > 0 ? EXIT_STRICT_VIOLATION : 0;
}

export function invokedName(argv1: string | undefined): string {
  return basename(argv1 ?? 'safe-package') === 'spm' ? 'spm' : 'safe-package';
}
