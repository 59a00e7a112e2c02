// The attacks of docs/attacks.md as install scripts, one package each. Every entry says
// which catalogue item it covers, what its script does (tests/attacks/payloads/), which
// canaries count as "read inside" and which of its actions count as "done inside", and
// any host-side evidence beyond what the harness checks for every attack (sinks, the
// fixture home, the workspace around the project, surviving processes, victims, the
// terminal).

import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ALL_ENV_KINDS, ALL_HOME_KINDS, type CanaryKind } from './harness/canaries.js';
import type { VictimKind } from './harness/processes.js';

export type Category = 'env' | 'credentials' | 'persistence' | 'staging' | 'process' | 'escape' | 'network';

/** Values fixed for the whole run, known when the packages are packed. */
export interface PackContext {
  readonly runTag: string;
  /** safe-package's default process limit: the fork bomb must go beyond it. */
  readonly processLimit: number;
  readonly ttyMarker: string;
  /** Put in the escape sequences the terminal attack writes. */
  readonly ttyWriteMarker: string;
  readonly setuidBinary: string;
  readonly otherUserSecret: string;
  readonly dependency: string;
}

export interface EvidenceContext {
  readonly mode: 'bare' | 'safe';
  readonly project: string;
  readonly home: string;
  readonly runTag: string;
  readonly processLimit: number;
  /** Peak number of fork-bomb processes seen on the host at once. */
  readonly bombPeak: number;
  /** Everything the install wrote to the user's terminal. */
  readonly terminalOutput: string;
  readonly ttyWriteMarker: string;
  /** dev:ino of every canary file planted in the home. */
  readonly canaryInodes: ReadonlySet<string>;
}

export interface Attack {
  readonly id: string;
  /** Reads like the threat: what the install script tries. */
  readonly title: string;
  /** The docs/attacks.md section and item. */
  readonly covers: string;
  readonly category: Category;
  /** File in payloads/ that the postinstall runs (.js with node, .sh with sh, .py with python3). */
  readonly payload: string;
  readonly params?: (c: PackContext) => Record<string, unknown>;
  /** Extra arguments on the postinstall command line (visible in the process list). */
  readonly args?: (c: PackContext) => string[];
  /** Canaries whose reading counts as "could read it inside". */
  readonly reads?: readonly CanaryKind[];
  /** Actions (attack-result.json `did`) that count as "could do it inside". */
  readonly does?: readonly string[];
  readonly victims?: readonly VictimKind[];
  readonly project?: 'git' | 'with-dependency';
  /** Host-side evidence specific to this attack. */
  readonly evidence?: (c: EvidenceContext) => string[];
  /**
   * Set when the attack is expected to get through safe-package today, with the reason
   * and the feature that will stop it. The test still runs and reports it (as a todo).
   */
  readonly pending?: string;
  /** How long to wait after the install before looking (for writers that wait for npm). */
  readonly settleMs?: number;
}

function contains(path: string, marker: string): boolean {
  try {
    return readFileSync(path, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** Evidence: the project now holds `rel` carrying this run's persistence marker. */
function projectFile(...rels: string[]) {
  return (c: EvidenceContext) => rels.filter((rel) => contains(join(c.project, rel), `sp-persist-${c.runTag}`)).map((rel) => `the project now has ${rel} (planted)`);
}

function walk(dir: string, visit: (path: string) => void, depth = 0): void {
  if (depth > 8) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    visit(p);
    if (e.isDirectory()) walk(p, visit, depth + 1);
  }
}

function symlinksOut(c: EvidenceContext): string[] {
  const out: string[] = [];
  walk(join(c.project, 'node_modules'), (p) => {
    if (!lstatSync(p).isSymbolicLink()) return;
    let target: string;
    try {
      target = realpathSync(p);
    } catch {
      return; // dangling: points nowhere on the host
    }
    if (relative(c.project, target).startsWith('..')) out.push(`${relative(c.project, p)} is a symlink to ${target}, outside the project`);
  });
  return out;
}

function specialFiles(c: EvidenceContext): string[] {
  const out: string[] = [];
  walk(join(c.project, 'node_modules'), (p) => {
    if (!p.includes(c.runTag)) return;
    const st = lstatSync(p);
    const rel = JSON.stringify(relative(c.project, p));
    if (st.isFile() && (st.mode & 0o6000) !== 0) out.push(`${rel} kept its setuid/setgid bits`);
    if (st.isFIFO()) out.push(`${rel} is a FIFO in the project`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(p)) out.push(`${rel} has control characters in its name`);
  });
  return out;
}

function hardLinksToSecrets(c: EvidenceContext): string[] {
  const out: string[] = [];
  walk(c.project, (p) => {
    const st = lstatSync(p);
    if (st.isFile() && st.nlink > 1 && c.canaryInodes.has(`${st.dev}:${st.ino}`)) out.push(`${relative(c.project, p)} is a hard link to a secret file in the home`);
  });
  return out;
}

/** npm's cache on the host (the user's own, and safe-package's, which persists between runs). */
export function cacheMarkers(home: string, runTag: string): string[] {
  const out: string[] = [];
  for (const root of [join(home, '.npm'), join(home, '.cache', 'safe-package')]) {
    if (!existsSync(root)) continue;
    walk(root, (p) => {
      if (p.endsWith(`poison-${runTag}`) && statSync(p).isFile()) out.push(p);
    });
  }
  return out;
}

const files = (...list: string[]) => () => ({ files: list });

export const ATTACKS: readonly Attack[] = [
  // ---- Secrets in memory and the environment
  { id: 'env-dump', category: 'env', payload: 'env-dump.js', reads: ALL_ENV_KINDS,
    title: 'dumps process.env and sends it to every sink',
    covers: 'ENV: dump process.env and send it out (crossenv, PyPI ctx)' },
  { id: 'env-harvest', category: 'env', payload: 'env-harvest.sh', reads: ALL_ENV_KINDS,
    title: 'harvests NPM_TOKEN, NODE_AUTH_TOKEN, GITHUB_TOKEN, AWS_*, npm_config_* by name (shell)',
    covers: 'ENV: harvest tokens by name (Shai-Hulud)' },
  { id: 'proc-environ', category: 'env', payload: 'proc-environ.js', reads: ['procenv'], victims: ['environ'],
    title: "reads /proc/<pid>/environ of the user's other processes",
    covers: "ENV: read other processes' /proc/<pid>/environ" },
  { id: 'proc-cmdline', category: 'env', payload: 'proc-cmdline.js', reads: ['proccmd'], victims: ['cmdline'],
    title: "reads secrets from the command lines of the user's other processes",
    covers: "ENV: read other processes' /proc/<pid>/cmdline" },
  { id: 'proc-mem', category: 'env', payload: 'proc-mem.py', reads: ['procmem'], victims: ['mem'], does: ['opened-mem'],
    params: () => ({ target: 'sp-victim-mem' }),
    title: "reads a runner process's heap through /proc/<pid>/mem",
    covers: 'ENV: read CI runner memory via /proc/<pid>/mem (tj-actions)' },
  { id: 'ptrace', category: 'process', payload: 'ptrace.py', reads: ['ptrace'], victims: ['ptrace'], does: ['attached'],
    params: () => ({ target: 'sp-victim-ptrace' }),
    title: 'attaches to a process of the same user with ptrace and reads its stack',
    covers: 'Processes: ptrace another process of the same user' },
  { id: 'keyring', category: 'env', payload: 'keyring.py', reads: ['keyring'], does: ['keyctl'],
    title: "reads the user's kernel keyring with keyctl",
    covers: 'ENV: the kernel keyring (keyctl)' },

  // ---- Credential and host files
  { id: 'cred-npmrc', category: 'credentials', payload: 'cred-npmrc.js', reads: ['npmrc'],
    title: 'reads the npm token from ~/.npmrc and from `npm config get`',
    covers: 'Credentials: ~/.npmrc tokens (eslint-scope)' },
  { id: 'cred-ssh-key', category: 'credentials', payload: 'read-home-files.js', params: files('.ssh'), reads: ['sshkey'],
    title: 'reads ~/.ssh/id_ed25519', covers: 'Credentials: SSH keys' },
  { id: 'cred-aws', category: 'credentials', payload: 'read-home-files.js', params: files('.aws'), reads: ['awsfile'],
    title: 'reads ~/.aws/credentials', covers: 'Credentials: ~/.aws/credentials' },
  { id: 'cred-kube', category: 'credentials', payload: 'read-home-files.js', params: files('.kube/config'), reads: ['kube'],
    title: 'reads ~/.kube/config', covers: 'Credentials: ~/.kube/config' },
  { id: 'cred-docker', category: 'credentials', payload: 'read-home-files.js', params: files('.docker/config.json'), reads: ['docker'],
    title: 'reads ~/.docker/config.json', covers: 'Credentials: ~/.docker/config.json' },
  { id: 'cred-git-credentials', category: 'credentials', payload: 'read-home-files.js', params: files('.git-credentials'), reads: ['gitcred'],
    title: 'reads ~/.git-credentials', covers: 'Credentials: ~/.git-credentials' },
  { id: 'cred-gh-cli', category: 'credentials', payload: 'read-home-files.js', params: files('.config/gh/hosts.yml'), reads: ['gh'],
    title: 'reads the GitHub CLI token in ~/.config/gh/hosts.yml', covers: 'Credentials: ~/.config/gh/hosts.yml' },
  { id: 'cred-pypirc', category: 'credentials', payload: 'read-home-files.js', params: files('.pypirc'), reads: ['pypirc'],
    title: 'reads ~/.pypirc', covers: 'Credentials: ~/.pypirc' },
  { id: 'cred-shell-history', category: 'credentials', payload: 'read-home-files.js', params: files('.bash_history', '.zsh_history'), reads: ['history'],
    title: 'reads tokens typed into the shell history', covers: 'Credentials: shell history' },
  { id: 'cred-wallets', category: 'credentials', payload: 'read-home-files.js',
    params: files('.config/Exodus/exodus.wallet', '.ethereum/keystore', '.bitcoin/wallet.dat'), reads: ['wallet', 'ethkeystore'],
    title: 'reads crypto wallets (Exodus, Ethereum keystore, Bitcoin)', covers: 'Credentials: crypto wallets' },
  { id: 'cred-browser-profiles', category: 'credentials', payload: 'read-home-files.js',
    params: files('.config/google-chrome/Default/Login Data', '.config/google-chrome/Default/Cookies', '.mozilla/firefox'), reads: ['chrome', 'firefox'],
    title: 'reads saved logins from Chrome and Firefox profiles', covers: 'Credentials: browser profiles' },
  { id: 'cred-home-scan', category: 'credentials', payload: 'cred-home-scan.js', reads: ALL_HOME_KINDS,
    title: 'scans all of $HOME for anything that looks like a token', covers: 'Credentials: a bulk scan of $HOME with a secret scanner (Shai-Hulud)' },
  { id: 'cred-project-dotenv', category: 'credentials', payload: 'cred-project-files.js', params: files('.env', '.env.local'), reads: ['dotenv'],
    title: "reads the project's own .env", covers: "Credentials: the project's own .env (s1ngularity/nx)" },
  { id: 'cred-project-npmrc', category: 'credentials', payload: 'cred-project-files.js', params: files('.npmrc'), reads: ['projnpmrc'],
    title: "reads the auth token in the project's .npmrc", covers: 'Credentials: ~/.npmrc tokens (in the project .npmrc)' },
  { id: 'cred-neighbour-projects', category: 'credentials', payload: 'cred-neighbours.js', reads: ['sibling'],
    title: 'reads the .env files of the projects next to this one', covers: 'Credentials: files above the project (a neighbour project\'s .env)' },
  { id: 'hardlink-secret', category: 'credentials', payload: 'hardlink-secret.js', params: files('.ssh/id_ed25519', '.npmrc'),
    reads: ['sshkey', 'npmrc'], does: ['linked'], evidence: hardLinksToSecrets,
    title: 'hard-links ~/.ssh/id_ed25519 and ~/.npmrc into its package folder',
    covers: 'Copying results out: hard links to secret files' },

  // ---- Writes and persistence outside the project
  { id: 'persist-shell-rc', category: 'persistence', payload: 'persist-shell-rc.sh', does: ['wrote'],
    title: 'appends a downloader to ~/.bashrc and ~/.profile', covers: 'Writes: shell rc files' },
  { id: 'persist-authorized-keys', category: 'persistence', payload: 'persist-authorized-keys.js', does: ['wrote'],
    title: "adds the attacker's key to ~/.ssh/authorized_keys", covers: 'Writes: ~/.ssh/authorized_keys' },
  { id: 'wipe-above-project', category: 'persistence', payload: 'wipe-above-project.js', does: ['wrote'],
    title: 'overwrites the files next to the project and leaves a note there', covers: 'Writes: overwrite files above the project (node-ipc protestware)' },
  { id: 'wipe-home', category: 'persistence', payload: 'wipe-home.sh', does: ['wiped'],
    title: 'deletes ~/Documents, ~/Desktop and ~/projects', covers: 'Writes: delete files in $HOME (Shai-Hulud 2.0 wiper)' },
  { id: 'persist-systemd-unit', category: 'persistence', payload: 'persist-systemd.sh', does: ['wrote'],
    title: 'installs and enables a systemd user unit', covers: 'Writes: systemd user units' },
  { id: 'persist-autostart', category: 'persistence', payload: 'persist-autostart.js', does: ['wrote'],
    title: 'adds an XDG autostart entry', covers: 'Writes: autostart entries' },
  { id: 'persist-python-pth', category: 'persistence', payload: 'persist-python-pth.js', does: ['wrote'],
    title: "drops a .pth startup hook into the user's Python site-packages", covers: 'Writes: Python .pth startup hooks' },
  { id: 'persist-global-gitconfig', category: 'persistence', payload: 'persist-gitconfig.sh', does: ['wrote'],
    title: 'sets core.hooksPath and core.fsmonitor in ~/.gitconfig', covers: 'Writes: git hooks and core.fsmonitor (user-wide)' },
  { id: 'trojan-npm-cache', category: 'persistence', payload: 'trojan-npm-cache.js', does: ['wrote'],
    evidence: (c) => cacheMarkers(c.home, c.runTag).map((p) => `npm cache entry planted on the host: ${p}`),
    title: "plants an entry in npm's cache for later installs", covers: "Writes: trojanise the package manager's cache" },

  // ---- Writes inside the project: stopped only by staged writes with review
  { id: 'stage-workflow', category: 'staging', payload: 'stage-workflow.js', does: ['wrote'],
    evidence: projectFile('.github/workflows/sp-ci-helper.yml'),
    title: 'plants .github/workflows/sp-ci-helper.yml in the project', covers: 'Writes: .github/workflows/*.yml (Shai-Hulud)' },
  { id: 'stage-git-hooks', category: 'staging', payload: 'stage-git-hooks.sh', does: ['wrote'], project: 'git',
    evidence: projectFile('.git/hooks/pre-commit', '.git/config'),
    title: "adds a pre-commit hook and core.fsmonitor to the project's .git", covers: 'Writes: git hooks, core.fsmonitor in .git/config' },
  { id: 'stage-vscode-task', category: 'staging', payload: 'stage-vscode-task.js', does: ['wrote'],
    evidence: projectFile('.vscode/tasks.json'),
    title: 'adds a .vscode/tasks.json task that runs on folder open', covers: 'Writes: .vscode/tasks.json' },
  { id: 'stage-manifest', category: 'staging', payload: 'stage-manifest.js', does: ['wrote'], settleMs: 1000,
    evidence: projectFile('package.json'),
    title: 'adds a prepare script to the project package.json', covers: 'Writes: tamper with the manifest (add a scripts entry)' },
  { id: 'stage-weaken-config', category: 'staging', payload: 'stage-weaken-config.js', does: ['wrote'],
    evidence: projectFile('.npmrc', '.safe-package/config.json'),
    title: "rewrites the project's .npmrc and safe-package's project config to weaken the next run",
    covers: "Writes: the project's .npmrc, safe-package's own project config" },
  { id: 'stage-symlink-out', category: 'staging', payload: 'stage-symlink-out.js', does: ['linked'],
    evidence: symlinksOut,
    title: 'leaves symlinks to ~/.bashrc and above the project in node_modules', covers: 'Copying results out: a symlink that points outside the project' },
  { id: 'stage-special-files', category: 'staging', payload: 'stage-special-files.js', does: ['setuid', 'fifo', 'escape-name'],
    evidence: specialFiles,
    title: 'leaves a setuid file, a FIFO and a file named with a terminal escape in node_modules',
    covers: 'Copying results out: setuid bits, special files, control characters in names' },
  { id: 'stage-trojan-dependency', category: 'staging', payload: 'stage-trojan-dependency.js', does: ['wrote'], project: 'with-dependency',
    params: (c) => ({ dependency: c.dependency }),
    evidence: (c) => (contains(join(c.project, 'node_modules', 'sp-benign-lib', 'index.js'), `sp-persist-${c.runTag}`) ? ['node_modules/sp-benign-lib/index.js was modified'] : []),
    title: 'appends code to another installed package', covers: 'Writes: trojanise another installed package' },

  // ---- Processes and the terminal
  { id: 'detach-setsid', category: 'process', payload: 'detach-setsid.sh', does: ['spawned'],
    title: 'leaves a setsid daemon running after the install', covers: 'Processes: a detached process (setsid) outlives the install (ultralytics)' },
  { id: 'detach-double-fork', category: 'process', payload: 'detach-double-fork.py', does: ['spawned'],
    title: 'leaves a double-forked, SIGHUP-ignoring daemon running', covers: 'Processes: double fork / nohup outlives the install (Shai-Hulud 2.0)' },
  { id: 'kill-process', category: 'process', payload: 'kill-process.js', victims: ['guard'], does: ['killed'],
    params: () => ({ target: 'sp-victim-guard' }),
    title: "finds the user's security agent by name and kills it", covers: 'Processes: kill or signal the user\'s other processes (av_killer)' },
  { id: 'tiocsti', category: 'process', payload: 'tiocsti.py', does: ['injected'],
    params: (c) => ({ marker: c.ttyMarker }),
    title: "pushes a command into the user's terminal with TIOCSTI", covers: 'Processes: TIOCSTI keystroke injection (CVE-2017-5226)' },
  { id: 'terminal-escape', category: 'process', payload: 'terminal-escape.py', does: ['wrote-terminal'],
    params: (c) => ({ marker: c.ttyWriteMarker }),
    evidence: (c) => (c.terminalOutput.includes(`\u001b]0;${c.ttyWriteMarker}`) ? ["the install script's escape sequences reached the user's terminal"] : []),
    title: "writes OSC 52 (clipboard) and title escape sequences to the user's terminal",
    covers: 'Processes and the terminal: escape sequences to the user\'s terminal (added by this project, next to TIOCSTI)' },
  { id: 'terminal-erase', category: 'process', payload: 'terminal-erase.py', does: ['wrote-terminal'],
    params: (c) => ({ marker: c.ttyWriteMarker }),
    evidence: (c) => (c.terminalOutput.includes(`\u001b[1A\u001b[2K\u001b[1A\u001b[2K${c.ttyWriteMarker}`) ? ['cursor-up and erase-line reached the user\'s terminal: what was printed before can be erased'] : []),
    title: "moves the cursor up and erases the lines printed before it, on the package manager's own output",
    covers: 'Processes and the terminal: erasing earlier output (cursor up, erase line) (added by this project)' },
  { id: 'fork-bomb', category: 'process', payload: 'fork-bomb.py', does: ['forked'],
    // 400 at once is what the default limit must stop (256 beyond the user's own).
    params: () => ({ bound: 450 }),
    args: (c) => [`sp-bomb-${c.runTag}`],
    evidence: (c) => (c.bombPeak >= 400 ? [`${c.bombPeak} fork-bomb processes at once (the jail allows ${c.processLimit} beyond the user's own)`] : []),
    title: 'forks as many processes as it can (up to 450)', covers: 'Processes: fork bombs' },

  // ---- Escapes
  { id: 'escape-inherited-fd', category: 'escape', payload: 'escape-inherited-fd.py',
    reads: ['sshkey', 'npmrc', 'awsfile', 'gitcred'], does: ['fchdir'],
    title: 'fchdir()s into an inherited descriptor of the home directory and reads from there',
    covers: 'Escapes: inherited file descriptors to host directories (fchdir)' },
  { id: 'escape-setuid', category: 'escape', payload: 'escape-setuid.js', reads: ['otheruser'], does: ['euid-changed'],
    params: (c) => ({ binary: c.setuidBinary, secret: c.otherUserSecret }),
    title: "runs another user's setuid binary to read that user's secret", covers: 'Escapes: a setuid binary reachable inside the jail' },
  { id: 'escape-proc-root', category: 'escape', payload: 'escape-proc-root.js', reads: ['sshkey', 'npmrc'],
    title: 'reads ~/.ssh/id_ed25519 through /proc/<pid>/root of other processes', covers: 'Escapes: /proc/<pid>/root of a process outside the jail' },
  { id: 'escape-abstract-socket', category: 'escape', payload: 'escape-socket.js', does: ['sent:abstract'],
    params: () => ({ channel: 'abstract' }),
    title: 'connects to an abstract Unix socket on the host', covers: 'Escapes: abstract Unix sockets (X11)' },
  { id: 'escape-tmp-socket', category: 'escape', payload: 'escape-socket.js', does: ['sent:unix'],
    params: () => ({ channel: 'unix' }),
    title: 'connects to a Unix socket in /tmp', covers: 'Escapes: Unix sockets that lead out (D-Bus, docker.sock, X11 in /tmp)' },
  { id: 'escape-ssh-agent', category: 'escape', payload: 'escape-ssh-agent.js', reads: ['agent'], does: ['connected'],
    title: "asks the user's ssh-agent (SSH_AUTH_SOCK) for its keys", covers: 'Escapes: ssh-agent via SSH_AUTH_SOCK' },

  // ---- Network
  { id: 'net-http-direct', category: 'network', payload: 'net-http-direct.js', does: ['sent:http'],
    title: 'POSTs to an IP literal directly, ignoring proxy settings', covers: 'Network: direct connection that ignores the proxy settings' },
  { id: 'net-http-proxy-ip', category: 'network', payload: 'net-http-proxy.js', does: ['sent:http', 'sent:proxy'],
    title: 'asks the HTTP proxy (if any) for a loopback IP literal', covers: 'Network: proxy allowlist confusion (IP literals); services on the host\'s loopback' },
  { id: 'net-proxy-connect-ip', category: 'network', payload: 'net-proxy-confusion.js', does: ['tunnel', 'delivered'],
    params: () => ({ variant: 'connect-ip' }),
    title: 'opens a CONNECT tunnel through the proxy to a loopback IP literal', covers: 'Network: proxy allowlist confusion (IP literals, CONNECT)' },
  { id: 'net-proxy-userinfo', category: 'network', payload: 'net-proxy-confusion.js', does: ['delivered'],
    params: () => ({ variant: 'userinfo' }),
    title: 'asks the proxy for http://registry.npmjs.org@127.0.0.1:PORT/', covers: 'Network: proxy allowlist confusion (user@host)' },
  { id: 'net-proxy-host-header', category: 'network', payload: 'net-proxy-confusion.js', does: ['delivered'],
    params: () => ({ variant: 'host-header' }),
    title: 'asks the proxy for the registry with a Host header naming the sink', covers: 'Network: proxy allowlist confusion (Host mismatch)' },
  { id: 'net-dns-udp', category: 'network', payload: 'net-dns.js', does: ['sent'],
    title: 'sends secrets in the labels of a DNS query over UDP', covers: 'Network: DNS exfiltration' },
  { id: 'net-raw-tcp', category: 'network', payload: 'net-raw-tcp.js', does: ['connected'],
    title: 'sends the environment over raw TCP to an IP literal', covers: 'Network: raw TCP to an IP literal' },
  { id: 'net-second-stage', category: 'network', payload: 'net-second-stage.sh', does: ['downloaded'],
    title: 'downloads a second stage and runs it', covers: 'Network: second-stage download and execute' },
];
