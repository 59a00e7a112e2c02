// The rootless jail as seen from inside, and its effects checked on the host (docs/promises.md#p3-backends).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fixtureUser, makeProject, runCli, writeAs } from '../../support/cli.js';

const user = fixtureUser();

function inJail(script: string, cwd: string, extra: string[] = []) {
  return runCli(['--network', 'none', '-q', ...extra, '--', 'sh', '-c', script], { cwd, user });
}

test('inside: the jail user\'s own ids, no capabilities, no_new_privs, seccomp, no supplementary groups', async () => {
  const cwd = makeProject(user);
  const r = await inJail('id; grep -E "^(Uid|Gid|Groups|CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status', cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`uid=${user.uid}\\(${user.name}\\) gid=${user.gid}\\(${user.name}\\) groups=${user.gid}\\(${user.name}\\)`));
  assert.match(r.stdout, new RegExp(`Uid:\\s+${user.uid}\\s+${user.uid}\\s+${user.uid}\\s+${user.uid}`));
  assert.match(r.stdout, /Groups:\s*\n/);
  assert.match(r.stdout, /CapEff:\s+0000000000000000/);
  assert.match(r.stdout, /CapBnd:\s+0000000000000000/);
  assert.match(r.stdout, /NoNewPrivs:\s+1/);
  assert.match(r.stdout, /Seccomp:\s+2/);
});

test('a postinstall cannot read ~/.ssh/id_ed25519: $HOME is empty inside', async () => {
  const nonce = randomBytes(8).toString('hex');
  const key = join(user.home, '.ssh', 'id_ed25519');
  writeAs(user, key, `CANARY-${nonce}`);
  try {
    const cwd = makeProject(user);
    const r = await inJail(`ls -A "$HOME"; cat "$HOME/.ssh/id_ed25519" 2>&1; cat ${key} 2>&1; echo end`, cwd);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, new RegExp(nonce));
    assert.match(r.stdout, /No such file or directory/);
  } finally {
    rmSync(join(user.home, '.ssh'), { recursive: true, force: true });
  }
});

test('the world is built from nothing: no /run, /sys, host /tmp or other homes', async () => {
  const marker = `/tmp/sp-host-tmp-${randomBytes(4).toString('hex')}`;
  writeFileSync(marker, 'host');
  try {
    const cwd = makeProject(user);
    const r = await inJail(`ls -A /; ls -A /tmp; ls /run /sys /root /home/sp-other /var/run 2>&1; ls /proc | grep -c '^[0-9]'`, cwd);
    assert.equal(r.status, 0, r.stderr);
    const top = r.stdout.split('\n');
    for (const absent of ['run', 'sys', 'root', 'boot', 'srv', 'opt', 'mnt']) assert.ok(!top.includes(absent), `/${absent} is visible`);
    assert.doesNotMatch(r.stdout, /sp-host-tmp/);
    assert.match(r.stdout, /'\/run': No such file/);
    assert.match(r.stdout, /'\/home\/sp-other': No such file/);
    // Only the jail's own processes: bwrap's init, sh, ls, grep.
    const pids = Number(r.stdout.trim().split('\n').pop());
    assert.ok(pids <= 5, `${pids} processes visible`);
  } finally {
    rmSync(marker, { force: true });
  }
});

test('writes outside the project do not reach the host; the project is writable', async () => {
  const cwd = makeProject(user);
  const nonce = randomBytes(4).toString('hex');
  // The npm profile commits node_modules/**: a write there is the project's.
  const r = await inJail(`echo x > /tmp/${nonce}; echo x > $HOME/.bashrc; mkdir -p node_modules; echo y > ${cwd}/node_modules/made-inside; touch /usr/${nonce} 2>&1; touch /etc/${nonce} 2>&1; true`, cwd, ['--profile', 'npm']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!existsSync(`/tmp/${nonce}`));
  assert.ok(!existsSync(join(user.home, '.bashrc')) || !readFileSync(join(user.home, '.bashrc'), 'utf8').includes('x\n'));
  assert.ok(!existsSync(`/usr/${nonce}`));
  assert.equal(readFileSync(join(cwd, 'node_modules', 'made-inside'), 'utf8'), 'y\n');
  assert.match(r.stdout, /Read-only file system|Permission denied/);
});

test('hidden project files (.env, keys) are empty and read-only inside', async () => {
  const nonce = randomBytes(8).toString('hex');
  const cwd = makeProject(user, { '.env': `SECRET=${nonce}\n`, 'config/server.pem': nonce, 'src/index.js': 'ok' });
  const r = await inJail('cat .env config/server.pem; cat src/index.js; echo > .env 2>&1; echo', cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, new RegExp(nonce));
  assert.match(r.stdout, /ok/);
  assert.equal(readFileSync(join(cwd, '.env'), 'utf8'), `SECRET=${nonce}\n`);
});

test('hide patterns and links: a linked secret is hidden, a link to the system CA bundle and a dangling one do not break the jail', async () => {
  const nonce = randomBytes(8).toString('hex');
  const cwd = makeProject(user, { 'notes.txt': nonce, 'src/index.js': 'ok' });
  mkdirSync(join(cwd, 'certs'));
  symlinkSync('../notes.txt', join(cwd, 'certs', 'client.pem'));
  symlinkSync('/etc/ssl/certs/ca-certificates.crt', join(cwd, 'certs', 'ca.pem'));
  symlinkSync('/nonexistent/old.pem', join(cwd, 'old.pem'));
  const r = await inJail('cat certs/client.pem notes.txt; head -c 27 certs/ca.pem; echo; cat src/index.js', cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, new RegExp(nonce));
  assert.match(r.stdout, /-----BEGIN CERTIFICATE-----/);
  assert.match(r.stdout, /ok/);
  assert.equal(readFileSync(join(cwd, 'notes.txt'), 'utf8'), nonce);
});

test('no process outlives the install: a detached daemon dies with the jail', async () => {
  const tag = 31000 + Math.floor(Math.random() * 999);
  const cwd = makeProject(user);
  const r = await inJail(`setsid sh -c 'sleep ${tag}' </dev/null >/dev/null 2>&1 & nohup sleep ${tag} >/dev/null 2>&1 & echo started`, cwd);
  assert.equal(r.status, 0, r.stderr);
  const ps = spawnSync('pgrep', ['-f', `sleep ${tag}`], { encoding: 'utf8' });
  assert.equal(ps.stdout.trim(), '', `survivors: ${ps.stdout}`);
});

test('without the jail the same daemon survives (the test can fail)', async () => {
  const tag = 32000 + Math.floor(Math.random() * 999);
  const cwd = makeProject(user);
  const r = await runCli(['--backend', 'none', '-q', '--', 'sh', '-c', `setsid sh -c 'sleep ${tag}' </dev/null >/dev/null 2>&1 & echo started`], { cwd, user });
  assert.equal(r.status, 0, r.stderr);
  const ps = spawnSync('pgrep', ['-f', `sleep ${tag}`], { encoding: 'utf8' });
  assert.notEqual(ps.stdout.trim(), '');
  spawnSync('pkill', ['-f', `sleep ${tag}`]);
});

test('limits.timeout kills the whole jail and exits 124', async () => {
  const cwd = makeProject(user);
  writeAs(user, join(cwd, '.safe-package', 'config.json'), JSON.stringify({ limits: { timeout: 2 } }), 0o644);
  const started = Date.now();
  const r = await inJail('trap "" TERM; sleep 60', cwd);
  assert.equal(r.status, 124, r.stderr);
  assert.ok(Date.now() - started < 15_000);
  assert.match(r.stderr, /limit hit: timeout/);
});

test('limits.processes stops a fork bomb', async () => {
  const cwd = makeProject(user);
  writeAs(user, join(cwd, '.safe-package', 'config.json'), JSON.stringify({ limits: { processes: 40, timeout: 30 } }), 0o644);
  const r = await inJail('i=0; while [ $i -lt 100 ]; do sleep 5 & i=$((i+1)); done 2>&1 | head -1; echo survived', cwd);
  assert.match(r.stdout + r.stderr, /fork|Resource temporarily unavailable|Cannot fork/i);
});

test('the user\'s other processes cannot be seen or signalled', async () => {
  const victim = spawnSync('sh', ['-c', `setpriv --reuid=${user.uid} --regid=${user.gid} --clear-groups sleep 300 >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
  const pid = Number(victim.stdout.trim());
  try {
    const cwd = makeProject(user);
    const r = await inJail(`kill -9 ${pid} 2>&1; pkill -9 sleep 2>&1; ls /proc/${pid} 2>&1; echo end`, cwd);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(`/proc/${pid}`), 'the host process was killed from inside the jail');
  } finally {
    process.kill(pid, 'SIGKILL');
  }
});

test('TIOCSTI cannot push keystrokes: the jail has no controlling terminal', async () => {
  const cwd = makeProject(user);
  const probe = "import fcntl,termios,os\ntry:\n fd=os.open('/dev/tty',os.O_RDWR)\n fcntl.ioctl(fd,termios.TIOCSTI,b'x')\n print('INJECTED')\nexcept OSError as e:\n print('refused',e.errno)\n";
  const r = await runCli(['--network', 'none', '-q', '--', '/usr/bin/python3', '-c', probe], { cwd, user });
  assert.doesNotMatch(r.stdout, /INJECTED/);
  assert.match(r.stdout, /refused/);
});

test('no host network: connecting out fails', async () => {
  const cwd = makeProject(user);
  const r = await runCli(['--network', 'none', '-q', '--', '/usr/bin/python3', '-c', "import socket\ntry:\n socket.create_connection(('1.1.1.1',53),2)\n print('CONNECTED')\nexcept OSError as e:\n print('refused',e.errno)\n"], { cwd, user });
  assert.match(r.stdout, /refused/);
  assert.ok(readdirSync('/tmp').length >= 0);
});

test('inherited descriptors to host files do not reach the jail (fchdir escape)', async () => {
  const { installedCli } = await import('../../support/cli.js');
  const cwd = makeProject(user);
  // fd 3 on the user's home directory, fd 4 on a secret: the classic escape vectors.
  writeAs(user, join(user.home, 'sp-secret.txt'), 'CANARY-FD');
  try {
    const out = spawnSync(
      '/usr/bin/setpriv',
      [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '/bin/sh', '-c', 'exec 3<"$HOME" 4<"$HOME/sp-secret.txt"; exec "$@"', 'sh', installedCli(), '--network', 'none', '-q', '--', 'sh', '-c', 'ls /proc/self/fd; cat <&4 2>&1; cd /proc/self/fd/3 2>&1; echo end'],
      { encoding: 'utf8', cwd, env: { PATH: '/usr/bin:/bin', HOME: user.home } },
    );
    assert.equal(out.status, 0, out.stderr);
    assert.doesNotMatch(out.stdout, /CANARY-FD/);
    assert.deepEqual(out.stdout.split('\n').slice(0, 4), ['0', '1', '2', '3']);
  } finally {
    rmSync(join(user.home, 'sp-secret.txt'), { force: true });
  }
});
