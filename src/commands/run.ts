// The wrapped run, `safe-package [options] -- PROGRAM ...`: a command like doctor or
// trust. Read top to bottom it is the whole pipeline:
//   configuration (src/config/) → policy (src/policy/, plain data) → judgement settings
//   (src/judge/) → --explain: the plan printed (src/plan/explain.ts), or the run
//   (src/run/run.ts: prepare, phases and their steps in the backend's jail, review and
//   commit) → report (src/report/) → exit status.

import type { CliOptions } from '../cli/args.js';
import { helpText } from '../cli/help.js';
import { EXIT_CANNOT_EXECUTE, EXIT_JUDGEMENT_REFUSED, EXIT_NOT_FOUND, EXIT_SAFE_PACKAGE_FAILED, EXIT_STRICT_VIOLATION, EXIT_TIMEOUT } from '../exit-codes.js';
import { printError, type Io } from '../cli/io.js';
import { VERSION } from '../version.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/schema.js';
import { hostFacts } from '../host/facts.js';
import { resolvePolicy } from '../policy/resolve.js';
import { SafePackageError } from '../errors.js';
import type { Policy } from '../policy/types.js';
import { MissingToolError, RefusedToolError } from '../host/system-tools.js';
import { buildReport, writeReport } from '../report/report.js';
import { chooseStyle, neutralise, summaryLines } from '../report/summary.js';

export async function runWrapped(cli: CliOptions, io: Io, name: string): Promise<number> {
  const facts = hostFacts(name);
  try {
    // 2. Configuration.
    const config = loadConfig({ home: facts.invoker.home, cwd: facts.cwd, uid: facts.invoker.uid, cli: cli.config });
    if (cli.positionals.length === 0 && config.values.exe === undefined) {
      io.stderr.write(helpText(name));
      printError(io, name, 'no program to run');
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    // 3. Policy.
    const policy = resolvePolicy(cli, config, facts);
    // auto tries the sandbox by running it; where it cannot work, the landlock backend.
    const fallback = policy.backend === 'sandbox' && (config.values.backend ?? 'auto') === 'auto' ? (reason: string) => resolvePolicy(cli, config, facts, reason) : undefined;
    // 4. Plan, printed instead of run.
    if (cli.explain) return await explain(policy, cli.json === true, io, fallback);
    for (const w of policy.warnings) io.stderr.write(`${name}: warning: ${neutralise(w)}\n`);
    return await runAndReport(policy, io, name, fallback);
  } catch (err) {
    if (err instanceof ConfigError) {
      printError(io, name, err.message);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    if (err instanceof SafePackageError) {
      printError(io, name, err.message, err.fix);
      return err.exitCode;
    }
    if (err instanceof RefusedToolError) {
      printError(io, name, err.message, err.fix);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    if (err instanceof MissingToolError) {
      printError(io, name, err.message);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    throw err;
  }
}

/**
 * --explain: the plan of the run's first step, made by the same function the run plans
 * every step with (the backend's planStep), from the host facts the run would read, with
 * the directories the run would make named instead of made. The report of a run records
 * each step's plan in the same form (steps[].jail), so the two can be compared.
 */
async function explain(resolved: Policy, json: boolean, io: Io, fallback?: Fallback): Promise<number> {
  // The release age passed down to the download phase shows in its environment.
  const { policy, ctx } = await judgedPolicy(fallback ? await explainedFallback(resolved, fallback) : resolved);
  const { describeBackend } = await import('../backends/index.js');
  const { phaseSteps } = await import('../run/run.js');
  const backend = describeBackend(policy);
  const phase = policy.phases[0];
  const step = phase ? [...phaseSteps(policy, phase, undefined)][0] : undefined;
  const planned = backend.planStep(backend.backend.describedPaths(policy), { ...(phase ? { phase } : {}), ...(step ? { command: step.command } : {}) });
  const { explainJson, explainText } = await import('../plan/explain.js');
  const jx = await import('../judge/explain.js');
  const judgement = jx.explainJudgement(ctx);
  io.stdout.write(
    json
      ? JSON.stringify({ ...(explainJson(policy, planned.plan, planned) as object), ...(judgement ? { judgement } : {}) }, null, 2) + '\n'
      : explainText(policy, planned.plan, { ...planned, staged: backend.staged }) + jx.explainJudgementText(judgement),
  );
  return 0;
}

type Fallback = (reason: string) => Policy;

/** The backend the run would fall back to before its first jail, for --explain (nothing is made). */
async function explainedFallback(p: Policy, fallback: Fallback): Promise<Policy> {
  const { checkSandboxFits } = await import('../backends/sandbox/index.js');
  const { ProjectNotWritableError } = await import('../host/preflight.js');
  const { StagingUnavailableError } = await import('../stage/stage-dirs.js');
  try {
    checkSandboxFits(p);
    return p;
  } catch (err) {
    if (err instanceof ProjectNotWritableError || err instanceof StagingUnavailableError) return fallback(err.message);
    throw err;
  }
}

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
  const { ProjectNotWritableError } = await import('../host/preflight.js');
  const { StagingUnavailableError } = await import('../stage/stage-dirs.js');
  // Names being added that look like typos of used ones: stopped before any download.
  const squats = await typosquats(policy, judgeCtx);
  if (squats.length > 0) {
    for (const s of squats) printError(io, name, s);
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
        if (!(second instanceof SafePackageError)) throw second;
      }
    }
    throw err;
  }
  const { outcome } = run;
  for (const note of run.notes) io.stderr.write(`${name}: ${neutralise(note)}\n`);

  if (outcome.spawnError) {
    const code = outcome.spawnError.code;
    printError(io, name, `${policy.command.path}: ${outcome.spawnError.message}`);
    return code === 'ENOENT' ? EXIT_NOT_FOUND : code === 'EACCES' ? EXIT_CANNOT_EXECUTE : EXIT_SAFE_PACKAGE_FAILED;
  }
  if (outcome.setupFailed) {
    if (policy.backend === 'sandbox') {
      // The run was the try; now find out why the sandbox does not work here. Asked
      // whatever the launcher thought went wrong: when bubblewrap cannot build a jail,
      // whichever of its parts noticed first (the bridge, the status pipe) is no answer.
      const { probeSandbox } = await import('../backends/sandbox/probe.js');
      const { findTool } = await import('../host/system-tools.js');
      const setpriv = findTool('setpriv');
      const probe = probeSandbox(policy.dropPrivileges && setpriv ? { uid: policy.user.uid, gid: policy.user.gid, setpriv } : undefined);
      if (!probe.ok && fallback) {
        try {
          return await fallBack(fallback, `the sandbox cannot start here: ${probe.reason}`, io, name);
        } catch (err) {
          if (!(err instanceof SafePackageError)) throw err;
          printError(io, name, `the sandbox is unavailable: ${probe.reason}; and ${err.message}`, probe.fix);
          return EXIT_SAFE_PACKAGE_FAILED;
        }
      }
      if (!probe.ok) {
        printError(io, name, `the sandbox is unavailable: ${probe.reason}`, probe.fix);
        return EXIT_SAFE_PACKAGE_FAILED;
      }
    }
    const what = outcome.setupProblem ?? 'see the message above';
    printError(io, name, `the ${policy.backend} backend could not start ${policy.command.exe} (${what})`, `run \`${name} doctor\``);
    return EXIT_SAFE_PACKAGE_FAILED;
  }
  if (run.commitError) {
    printError(io, name, `nothing was committed to ${policy.project.dir}: ${run.commitError}`, 'your project is as it was before the run; see the message for what to do');
    return EXIT_SAFE_PACKAGE_FAILED;
  }

  const judgeError = judging?.error();
  if (judgeError) {
    printError(io, name, `the resolved tree could not be judged, so no install script ran and nothing was committed: ${judgeError}`, 'your project is as it was before the run');
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
      printError(io, name, `cannot write the report to ${policy.output.report}: ${(err as Error).message}`);
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

