import { test } from 'node:test';
import assert from 'node:assert/strict';
import { neutralise, summaryLines, PLAIN } from '../../../src/report/summary.js';
import { strictViolations, type Report } from '../../../src/report/report.js';

test('escape sequences and control characters are neutralised', () => {
  assert.equal(neutralise('a\x1b[2Jb'), 'a\\x1b[2Jb');
  assert.equal(neutralise('x\ry\n'), 'x\\x0dy\\x0a');
  assert.equal(neutralise('\u202eevil'), '\\u202eevil');
  assert.equal(neutralise('\x9b31m'), '\\x9b31m');
  assert.equal(neutralise('plain é'), 'plain é');
});

function report(over: Partial<Report> = {}): Report {
  return {
    schema: 'safe-package/report@1',
    safe_package_version: '0',
    started_at: '',
    duration_ms: 1200,
    command: { exe: 'npm', args: ['install'], profile: 'npm' },
    backend: 'sandbox',
    user: { name: 'u', uid: 1000 },
    phases: ['run'],
    steps: [],
    exit: { status: 0, signal: null, timed_out: false, setup_failed: false },
    network: { mode: 'registry', allowed: [], contacted: [], blocked: [] },
    writes: { staged: true, committed: [], discarded: [] },
    environment: { passed: [], withheld: ['NPM_TOKEN'] },
    limits_hit: [],
    warnings: [],
    strict: { enabled: false, violations: [] },
    ...over,
  };
}

test('a clean run is one line plus details; quiet prints nothing', () => {
  const lines = summaryLines(report(), PLAIN, false);
  assert.match(lines[0]!, /^safe-package: npm exit 0 in 1.2s \[sandbox, u\]/);
  assert.ok(lines.some((l) => l.includes('withheld 1 variable(s): NPM_TOKEN')));
  assert.deepEqual(summaryLines(report(), PLAIN, true), []);
});

test('blocked hosts and discarded writes are listed, with file names neutralised', () => {
  const r = report({
    network: { mode: 'registry', allowed: [], contacted: [], blocked: [{ host: 'evil.example', port: 443, reason: 'not allowed', suggestion: '--allow-host evil.example' }] },
    writes: { staged: true, committed: [], discarded: [{ path: 'x\x1b]0;pwned\x07', kind: 'added', reason: 'outside write rules' }] },
  });
  const text = summaryLines(r, PLAIN, true).join('\n');
  assert.match(text, /evil.example:443 — not allowed/);
  assert.match(text, /x\\x1b\]0;pwned\\x07/);
  assert.doesNotMatch(text, /\x1b/);
});

test('strict counts blocked, discarded and limits', () => {
  assert.deepEqual(strictViolations({ network: { mode: '', allowed: [], contacted: [], blocked: [] }, writes: { staged: true, committed: [], discarded: [] }, limits_hit: [] }), []);
  assert.equal(strictViolations({ network: { mode: '', allowed: [], contacted: [], blocked: [{ host: 'h', port: 1, reason: '' }] }, writes: { staged: true, committed: [], discarded: [] }, limits_hit: ['timeout'] }).length, 2);
});

test('discarded writes come with one hint per way to keep them', async () => {
  const { keepHint } = await import('../../../src/stage/staging.js');
  assert.equal(keepHint('dist/a.js'), 'to keep it, add "write": ["dist/**"] to ~/.safe-package/config.json');
  assert.equal(keepHint('notes.txt'), 'to keep it, add "write": ["notes.txt"] to ~/.safe-package/config.json');
  assert.match(keepHint('.git/config')!, /npx husky/);
  assert.equal(keepHint('.safe-package/config.json'), undefined);
  assert.equal(keepHint('.github/workflows/x.yml'), undefined);
  assert.equal(keepHint('.vscode/tasks.json'), undefined);
  const r = report({
    writes: {
      staged: true,
      committed: [],
      discarded: [
        { path: 'dist/a.js', kind: 'added', reason: 'x', suggestion: keepHint('dist/a.js')! },
        { path: 'dist/b.js', kind: 'added', reason: 'x', suggestion: keepHint('dist/b.js')! },
      ],
    },
  });
  const hints = summaryLines(r, PLAIN, true).filter((l) => l.includes('hint:'));
  assert.equal(hints.length, 1);
});

test('the packages whose install scripts ran are named, a failing one with its status, with how to approve or deny', () => {
  const r = report({
    steps: [
      { phase: 'install', argv: ['/usr/bin/npm', 'ci'], status: 0, duration_ms: 10 },
      { phase: 'scripts', argv: ['/usr/bin/npm', 'rebuild', 'esbuild'], package: 'esbuild', status: 0, duration_ms: 5 },
      { phase: 'scripts', argv: ['/usr/bin/npm', 'rebuild', 'bad\x1b[2J'], package: 'bad\x1b[2J', status: 1, duration_ms: 5 },
    ],
  });
  const line = summaryLines(r, PLAIN, false).find((l) => l.includes('install scripts:'));
  assert.equal(line, '  install scripts: esbuild, bad\\x1b[2J (exit 1) — each in its own jail; approve or deny with `npm install-scripts approve|deny <pkg>`');
  assert.equal(summaryLines(report({ steps: r.steps }), PLAIN, true).some((l) => l.includes('install scripts:')), false, 'not in quiet mode');
});

test('a git dependency is named once: its fetch, build and bin linking are one entry', () => {
  const r = report({
    steps: [
      { phase: 'install', argv: ['/usr/bin/npm', 'install'], status: 0, duration_ms: 10 },
      { phase: 'install', argv: ['/usr/bin/node', '-e', '…'], package: 'gitlib', status: 0, duration_ms: 10 },
      { phase: 'scripts', argv: ['/usr/bin/node', '-e', '…'], package: 'gitlib', status: 0, duration_ms: 5 },
      { phase: 'scripts', argv: ['/usr/bin/npm', 'rebuild', 'gitlib', '--ignore-scripts'], package: 'gitlib', status: 0, duration_ms: 5 },
      { phase: 'scripts', argv: ['/usr/bin/npm', 'rebuild', 'esbuild'], package: 'esbuild', status: 0, duration_ms: 5 },
    ],
  });
  const line = summaryLines(r, PLAIN, false).find((l) => l.includes('install scripts:'));
  assert.equal(line, '  install scripts: gitlib (git dependency: fetched, then built with its prepare), esbuild — each in its own jail; approve or deny with `npm install-scripts approve|deny <pkg>`');
  const failed = report({ steps: [{ phase: 'install', argv: ['/usr/bin/node', '-e', '…'], package: 'gitlib', status: 1, duration_ms: 10 }] });
  assert.match(summaryLines(failed, PLAIN, false).find((l) => l.includes('install scripts:')) ?? '', /gitlib \(git dependency: fetching it failed\) \(exit 1\)/);
});
