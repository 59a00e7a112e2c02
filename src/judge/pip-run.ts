// The pip judgement inside a run: the context, the age passed down, the hook. What
// src/cli/main.ts (judgedPolicy) calls for the pip profile; one line there.

import type { Policy } from '../policy/types.js';
import { formatMinutes } from './duration.js';
import { judgeCacheDir } from './host.js';
import { pipJudgeContextForPolicy, pipJudgeHook, withPipPassDown, type PipJudgeContext } from './pip-judge.js';

export function judgedPipPolicy(
  policy: Policy,
  env: Readonly<Record<string, string | undefined>>,
): { policy: Policy; ctx?: PipJudgeContext; hook?: ReturnType<typeof pipJudgeHook>; note?: string } {
  const ctx = pipJudgeContextForPolicy(policy, env, judgeCacheDir(policy));
  if (!ctx) return { policy };
  const judged = withPipPassDown(policy, ctx);
  const passed = judged !== policy;
  const note = passed
    ? `note: pip was asked (PIP_UPLOADED_PRIOR_TO, pip 26+) to resolve only files uploaded more than ${formatMinutes(ctx.settings.minAgeMinutes)} ago (the minimum release age: ${ctx.settings.minAgeFrom}); if it found none, let a project through with --min-release-age-exclude NAME, or lower it with --min-release-age`
    : undefined;
  return { policy: judged, ctx, hook: pipJudgeHook(judged, ctx), ...(note ? { note } : {}) };
}
