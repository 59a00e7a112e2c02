// --help text. Kept next to the option table in args.ts; README documents the same.

export function helpText(name: string): string {
  return `${name}: run a package manager where malicious dependencies cannot steal secrets,
reach the network beyond the registry, or leave anything behind.

Usage: ${name} [OPTIONS] [--] [EXE_ARGS]...
       ${name} doctor | jail create DIR --with EXE... | jail check DIR
       ${name} trust | recover | shell-init [bash|zsh|fish]
       ${name} check [--min-release-age AGE] [--min-release-age-exclude NAME]... [--strict] [--json]

Arguments:
  [EXE_ARGS]...               the package manager and its arguments; options end at the
                              first argument, so \`${name} npm install --save-dev x\` works

Options (as in the original safe-package):
  -e, --exe <EXE>             the package manager to execute; if none is defined, the
                              first ARG is used (found on PATH when it has no slash)
  -r, --root-dir <ROOT_DIR>   the directory to use as the jail's root
  -k, --keep-env <KEEP_ENV>   an environment variable the package manager needs;
                              repeatable; globs such as LC_* work
  -u, --user <USER>           who to run the package manager as (name or uid; root only)
  -h, --help                  print help
  -V, --version               print version

More options (also settable in config files):
      --backend <B>           auto (default) | sandbox | landlock | chroot | none
      --network <N>           registry (default) | none | host
      --allow-host <H[:P]>    also allow this host through the proxy; repeatable
      --profile <NAME>        npm | npx | pnpm | yarn | pip | generic (default: from EXE)
      --report <FILE>         write the run's report as JSON
      --explain               print the resolved policy and plan, run nothing
      --json                  with --explain: as JSON
      --strict                exit non-zero when anything was blocked or discarded; refuse
                              an install whose advisories could not be checked
      --min-release-age <AGE> refuse versions published less than AGE ago (minutes, or
                              90m, 12h, 1d, 2w; default 1d; 0 turns the check off)
      --min-release-age-exclude <NAME>
                              a package name or glob (@acme/*) the age does not apply to;
                              repeatable
      --allow-name <NAME>     let NAME through the typosquat check; repeatable
      --malware-db <DIR>      also refuse versions named by the OSV records (MAL-*.json) in DIR
  -q, --quiet                 print only problems

Before any install script runs, the versions the download phase resolved are judged:
younger than the minimum release age, or known malware (the registry's advisories),
and nothing runs or is committed. \`${name} check\` judges the current lockfile
without installing.

Configuration, each overlaying the previous: /etc/safe-package/config.json,
~/.safe-package/config.json, ./.safe-package/config.json (untrusted until
\`${name} trust\`), then the command line.

Exit status: the package manager's own (128+N if killed by signal N); 125 when
${name} itself fails before it starts; 126/127 when EXE cannot be executed / is not
found; 124 when limits.timeout killed it; 3 with --strict when something was blocked;
4 when the judgement refused what was resolved (nothing ran, nothing was committed).
`;
}
