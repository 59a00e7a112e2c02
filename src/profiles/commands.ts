// What a package-manager command line asks for: an install (which downloads and then runs
// lifecycle scripts) or something else. Pure.

export type CommandKind = 'install' | 'ci' | 'update' | 'uninstall' | 'other';

export interface ClassifiedCommand {
  readonly kind: CommandKind;
  /** The subcommand as typed (`i`, `install`, `ci`, ...); undefined when none was found. */
  readonly verb?: string;
  /** Package specs given to install/update (positional arguments after the verb). */
  readonly packages: readonly string[];
  /** The user asked for no lifecycle scripts (--ignore-scripts). */
  readonly ignoreScripts: boolean;
}

// npm's own aliases (npm help install, ci, update, uninstall); pnpm and yarn use a subset.
const NPM_VERBS: Readonly<Record<string, CommandKind>> = {
  install: 'install', i: 'install', in: 'install', ins: 'install', inst: 'install', insta: 'install', instal: 'install',
  isnt: 'install', isnta: 'install', isntal: 'install', isntall: 'install', add: 'install',
  ci: 'ci', 'clean-install': 'ci', ic: 'ci', 'install-clean': 'ci', 'isntall-clean': 'ci',
  update: 'update', up: 'update', upgrade: 'update', udpate: 'update', dedupe: 'update', ddp: 'update',
  uninstall: 'uninstall', unlink: 'uninstall', remove: 'uninstall', rm: 'uninstall', r: 'uninstall', un: 'uninstall',
};

function ignoresScripts(args: readonly string[]): boolean {
  let ignore = false;
  for (const a of args) {
    if (a === '--ignore-scripts' || a === '--ignore-scripts=true') ignore = true;
    if (a === '--no-ignore-scripts' || a === '--ignore-scripts=false') ignore = false;
  }
  return ignore;
}

/**
 * npm/pnpm/yarn arguments → what they do. The verb is the first argument that is not an
 * option. An option with a separate value before the verb (`npm --prefix x install`)
 * makes the value look like the verb; that is classified 'other', which is the safe
 * direction (one phase, no credentials).
 */
export function classifyCommand(tool: 'npm' | 'pnpm' | 'yarn', args: readonly string[]): ClassifiedCommand {
  const ignoreScripts = ignoresScripts(args);
  const firstIndex = args.findIndex((a) => !a.startsWith('-'));
  if (firstIndex === -1) {
    // Plain `yarn` and `pnpm` mean install; plain `npm` prints help.
    return { kind: tool === 'npm' ? 'other' : 'install', packages: [], ignoreScripts };
  }
  const verb = args[firstIndex]!;
  let kind = NPM_VERBS[verb] ?? 'other';
  if (tool === 'yarn' && verb === 'upgrade') kind = 'update';
  if (tool !== 'npm' && verb === 'ci') kind = 'other';
  const packages = args.slice(firstIndex + 1).filter((a) => !a.startsWith('-'));
  return { kind, verb, packages, ignoreScripts };
}

/** npm's package name rules, enough to refuse anything that could read as an option. */
export function isPackageName(name: string): boolean {
  return /^(@[a-z0-9~][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]*$/i.test(name) && name.length <= 214;
}
