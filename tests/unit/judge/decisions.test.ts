// The judgement's pure decisions: release ages, excludes, malware classification,
// advisory ranges, OSV ranges, the verdict and its summary block.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAge, formatMinutes, minutesToNpmDays, parseAgeMinutes } from '../../../src/judge/duration.js';
import { compareVersions, parseVersion, satisfies } from '../../../src/judge/semver.js';
import { bulkHits, bulkRequestBody, inOsvRange, isMalwareAdvisory, osvCovers, osvHits, type OsvRecord } from '../../../src/judge/advisories.js';
import { allowOption, isExcluded, judge, tooYoung, type VerdictInput } from '../../../src/judge/verdict.js';
import { judgementLines } from '../../../src/judge/summary.js';
import { PLAIN } from '../../../src/report/summary.js';
import type { JudgeSettings } from '../../../src/judge/settings.js';

test('release ages: minutes or a duration; 0 turns the check off; malformed is refused', () => {
  assert.equal(parseAgeMinutes(1440), 1440);
  assert.equal(parseAgeMinutes('1440'), 1440);
  assert.equal(parseAgeMinutes('1d'), 1440);
  assert.equal(parseAgeMinutes('12h'), 720);
  assert.equal(parseAgeMinutes('90m'), 90);
  assert.equal(parseAgeMinutes('2w'), 20160);
  assert.equal(parseAgeMinutes('0'), 0);
  assert.equal(parseAgeMinutes(0), 0);
  assert.equal(parseAgeMinutes('1.5d'), 2160);
  for (const bad of ['', 'soon', '-1', '1y', '1 day', '1d2h']) assert.equal(parseAgeMinutes(bad), undefined, bad);
  assert.equal(parseAgeMinutes(-5), undefined);
  assert.equal(parseAgeMinutes(1.5), undefined);
  assert.equal(formatMinutes(1440), '1d');
  assert.equal(formatMinutes(1530), '1d 1h');
  assert.equal(formatMinutes(90), '1h 30m');
  assert.equal(formatAge(2 * 3600_000 + 5 * 60_000), '2h 5m');
  assert.equal(formatAge(10_000), 'under a minute');
  assert.equal(minutesToNpmDays(1440), '1');
  assert.equal(minutesToNpmDays(720), '0.5');
  assert.equal(minutesToNpmDays(0), '0');
});

test('too young: strictly younger than the minimum; an unreadable time is not a verdict', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  assert.deepEqual(tooYoung('2026-01-01T12:00:00Z', now, 1440), { young: true, ageMinutes: 720 });
  assert.deepEqual(tooYoung('2026-01-01T00:00:00Z', now, 1440), { young: false, ageMinutes: 1440 });
  assert.equal(tooYoung('yesterday', now, 1440), undefined);
});

test('excludes: exact names and globs from src/util/glob.ts; * stays inside a scope', () => {
  assert.ok(isExcluded('left-pad', ['left-pad']));
  assert.ok(isExcluded('fx-young', ['fx-*']));
  assert.ok(isExcluded('@acme/tool', ['@acme/*']));
  assert.ok(!isExcluded('@acme/tool', ['*']));
  assert.ok(isExcluded('@acme/tool', ['**']));
  assert.ok(!isExcluded('left-pad-x', ['left-pad']));
  assert.ok(!isExcluded('fx', ['fx-*']));
  assert.equal(allowOption('fx-young'), '--min-release-age-exclude fx-young');
  assert.equal(allowOption('@s/x'), '--min-release-age-exclude @s/x');
});

test('malware classification: GitHub titles, malicious code, CWE-506, MAL- ids; other advisories are not', () => {
  assert.ok(isMalwareAdvisory({ title: 'Malware in fx-evil' }));
  assert.ok(isMalwareAdvisory({ title: 'Embedded Malicious Code in foo' }));
  assert.ok(isMalwareAdvisory({ title: 'Malicious Package' }));
  assert.ok(isMalwareAdvisory({ title: 'Something', cwe: ['CWE-79', 'CWE-506'] }));
  assert.ok(isMalwareAdvisory({ title: 'Something', cwe: 'CWE-506' }));
  assert.ok(isMalwareAdvisory({ title: 'x', url: 'https://osv.dev/vulnerability/MAL-2025-1234' }));
  assert.ok(!isMalwareAdvisory({ title: 'Prototype Pollution in lodash', cwe: ['CWE-1321'] }));
  assert.ok(!isMalwareAdvisory({ title: 'Regular Expression Denial of Service', url: 'https://github.com/advisories/GHSA-xxxx' }));
  assert.ok(!isMalwareAdvisory({ title: 'Malformed input crashes the parser' }));
});

test('semver: order, prereleases, and the ranges advisories use', () => {
  const v = (s: string) => parseVersion(s)!;
  assert.ok(compareVersions(v('1.0.0-alpha'), v('1.0.0')) < 0);
  assert.ok(compareVersions(v('1.0.0-alpha.1'), v('1.0.0-alpha.beta')) < 0);
  assert.ok(compareVersions(v('1.10.0'), v('1.9.9')) > 0);
  const cases: [string, string, boolean][] = [
    ['1.2.3', '<1.2.4', true],
    ['1.2.4', '<1.2.4', false],
    ['1.2.4-beta', '<1.3.0', true],
    ['1.5.0', '>=1.0.0 <1.4.2 || 2.0.0', false],
    ['2.0.0', '>=1.0.0 <1.4.2 || 2.0.0', true],
    ['1.0.0', '*', true],
    ['1.0.0', '>=0', true],
    ['0.0.1', '>= 0.0.0', true],
    ['1.9.0', '^1.2', true],
    ['2.0.0', '^1.2', false],
    ['0.3.5', '^0.3.1', true],
    ['0.4.0', '^0.3.1', false],
    ['0.3.9', '~0.3.1', true],
    ['0.4.0', '~0.3.1', false],
    ['1.7.3', '1.x', true],
    ['2.0.0', '1.x', false],
    ['1.1.0', '1.0.0 - 1.2.0', true],
    ['1.2.1', '1.0.0 - 1.2.0', false],
    ['1.2.0', '<=1.2', true],
    ['1.3.0', '<=1.2', false],
    ['1.3.0', '>1.2', true],
    ['1.2.9', '>1.2', false],
    ['3.0.0', '=3.0.0', true],
  ];
  for (const [ver, range, want] of cases) assert.equal(satisfies(ver, range), want, `${ver} in ${range}`);
  assert.equal(satisfies('1.0.0', 'not a range'), undefined);
  assert.equal(satisfies('banana', '*'), undefined);
});

test('bulk advisories: only versions inside vulnerable_versions count; an unreadable range covers', () => {
  const pkgs = [{ name: 'a', version: '1.0.0' }, { name: 'a', version: '2.0.0' }, { name: 'b', version: '1.0.0' }];
  assert.deepEqual(bulkRequestBody(pkgs), { a: ['1.0.0', '2.0.0'], b: ['1.0.0'] });
  const hits = bulkHits(
    {
      a: [{ id: 1, title: 'Malware in a', vulnerable_versions: '>=2.0.0', severity: 'critical', url: 'https://github.com/advisories/GHSA-1' }],
      b: [{ id: 2, title: 'ReDoS', vulnerable_versions: '???', severity: 'moderate' }],
      c: [{ id: 3, title: 'Malware in c', vulnerable_versions: '*' }],
    },
    pkgs,
  );
  assert.deepEqual(
    hits.map((h) => [h.name, h.version, h.malware]),
    [
      ['a', '2.0.0', true],
      ['b', '1.0.0', false],
    ],
  );
  assert.deepEqual(bulkHits('nonsense', pkgs), []);
});

test('OSV ranges: introduced/fixed/last_affected intervals, "0" is the beginning, open intervals run to the end', () => {
  assert.equal(inOsvRange('1.0.0', [{ introduced: '0' }]), true);
  assert.equal(inOsvRange('1.0.0', [{ introduced: '0' }, { fixed: '1.0.0' }]), false);
  assert.equal(inOsvRange('0.9.9', [{ introduced: '0' }, { fixed: '1.0.0' }]), true);
  assert.equal(inOsvRange('1.2.0', [{ introduced: '1.0.0' }, { last_affected: '1.2.0' }]), true);
  assert.equal(inOsvRange('1.2.1', [{ introduced: '1.0.0' }, { last_affected: '1.2.0' }]), false);
  assert.equal(inOsvRange('0.5.0', [{ introduced: '1.0.0' }]), false);
  // Two intervals: [1.0.0, 1.1.0) and [2.0.0, ∞)
  const two = [{ introduced: '1.0.0' }, { fixed: '1.1.0' }, { introduced: '2.0.0' }];
  assert.equal(inOsvRange('1.0.5', two), true);
  assert.equal(inOsvRange('1.5.0', two), false);
  assert.equal(inOsvRange('3.0.0', two), true);
  assert.equal(inOsvRange('x', two), undefined);
});

test('OSV records: ecosystem and name must match; versions lists, ranges, and all-versions records', () => {
  const rec: OsvRecord = {
    id: 'MAL-2025-0001',
    summary: 'Malicious code in fx-evil (npm)',
    affected: [{ package: { ecosystem: 'npm', name: 'fx-evil' }, versions: ['1.0.1'], ranges: [{ type: 'SEMVER', events: [{ introduced: '2.0.0' }, { fixed: '2.0.3' }] }] }],
  };
  assert.ok(osvCovers(rec, 'fx-evil', '1.0.1'));
  assert.ok(osvCovers(rec, 'fx-evil', '2.0.2'));
  assert.ok(!osvCovers(rec, 'fx-evil', '2.0.3'));
  assert.ok(!osvCovers(rec, 'fx-evil', '1.0.0'));
  assert.ok(!osvCovers(rec, 'fx-other', '1.0.1'));
  assert.ok(!osvCovers({ ...rec, affected: [{ package: { ecosystem: 'PyPI', name: 'fx-evil' }, versions: ['1.0.1'] }] }, 'fx-evil', '1.0.1'));
  assert.ok(osvCovers({ id: 'MAL-2', affected: [{ package: { ecosystem: 'npm', name: 'all' } }] }, 'all', '9.9.9'));
  const hits = osvHits([rec], [{ name: 'fx-evil', version: '1.0.1' }, { name: 'fx-evil', version: '1.0.0' }]);
  assert.deepEqual(hits.map((h) => [h.version, h.malware, h.source]), [['1.0.1', true, 'osv']]);
});

const settings = (over: Partial<JudgeSettings> = {}): JudgeSettings => ({ minAgeMinutes: 1440, minAgeFrom: 'default', excludes: [], advisories: true, strict: false, ...over });
const NOW = Date.parse('2026-06-01T12:00:00Z');
const base = (over: Partial<VerdictInput> = {}): VerdictInput => ({
  packages: [
    { name: 'old', version: '1.0.0' },
    { name: 'fx-young', version: '2.0.0' },
  ],
  lockfiles: ['package-lock.json'],
  settings: settings(),
  now: NOW,
  published: new Map([
    ['old@1.0.0', { time: '2020-01-01T00:00:00Z' }],
    ['fx-young@2.0.0', { time: '2026-06-01T10:00:00Z' }],
  ]),
  hits: [],
  advisories: { state: 'ok', registries: ['http://r/'] },
  ...over,
});

test('verdict: a young version is refused with its age and the option that lets it through', () => {
  const j = judge(base());
  assert.equal(j.verdict, 'refused');
  assert.equal(j.refused.length, 1);
  const r = j.refused[0]!;
  assert.equal(r.reason, 'young');
  assert.equal(r.age_minutes, 120);
  assert.match(r.message, /^fx-young@2\.0\.0 was published 2h ago .* minimum release age of 1d \(default\)/);
  assert.equal(r.allow, '--min-release-age-exclude fx-young');
  const text = judgementLines(j, PLAIN, true).join('\n');
  assert.match(text, /judgement: refused/);
  assert.match(text, /fx-young@2\.0\.0 was published 2h ago/);
  assert.match(text, /to let it through: --min-release-age-exclude fx-young/);
  assert.match(text, /no install script ran and nothing was committed/);
});

test('verdict: excludes and 0 let young versions through; an unknown time is refused', () => {
  assert.equal(judge(base({ settings: settings({ excludes: ['fx-*'] }) })).verdict, 'pass');
  assert.deepEqual(judge(base({ settings: settings({ excludes: ['fx-*'] }) })).min_release_age.excluded, ['fx-young@2.0.0']);
  assert.equal(judge(base({ settings: settings({ minAgeMinutes: 0 }) })).verdict, 'pass');
  assert.equal(judge(base({ settings: settings({ minAgeMinutes: 60 }) })).verdict, 'pass');
  const unknown = judge(base({ published: new Map([['old@1.0.0', { time: '2020-01-01T00:00:00Z' }], ['fx-young@2.0.0', { error: 'HTTP 404' }]]) }));
  assert.equal(unknown.refused[0]!.reason, 'unknown-age');
  assert.match(unknown.refused[0]!.message, /HTTP 404/);
});

test('verdict: malware is refused whatever its age; other advisories are counted only', () => {
  const j = judge(
    base({
      settings: settings({ minAgeMinutes: 0 }),
      hits: [
        { name: 'old', version: '1.0.0', id: 'GHSA-m', title: 'Malware in old', severity: 'critical', malware: true, source: 'registry' },
        { name: 'fx-young', version: '2.0.0', id: 'GHSA-v', title: 'ReDoS', severity: 'high', malware: false, source: 'registry' },
      ],
    }),
  );
  assert.equal(j.verdict, 'refused');
  assert.deepEqual(j.refused.map((r) => [r.name, r.reason]), [['old', 'malware']]);
  assert.match(j.refused[0]!.message, /old@1\.0\.0 is known malware: Malware in old/);
  assert.equal(j.refused[0]!.allow, undefined);
  assert.equal(j.advisories.vulnerabilities, 1);
  assert.deepEqual(j.advisories.by_severity, { high: 1 });
});

test('verdict: advisories unavailable warn; with --strict they refuse', () => {
  const adv = { state: 'unavailable' as const, registries: ['http://r/'], detail: 'http://r/ answers HTTP 404 to -/npm/v1/security/advisories/bulk' };
  const warned = judge(base({ settings: settings({ minAgeMinutes: 0 }), advisories: adv }));
  assert.equal(warned.verdict, 'pass');
  assert.match(warned.warnings[0]!, /known malware was not checked: .*HTTP 404/);
  assert.match(judgementLines(warned, PLAIN, true).join('\n'), /warning: known malware was not checked/);
  const strict = judge(base({ settings: settings({ minAgeMinutes: 0, strict: true }), advisories: adv }));
  assert.equal(strict.verdict, 'refused');
  assert.match(strict.problems[0]!, /--strict refuses/);
});

test('summary: a clean judgement is one line, and nothing with --quiet', () => {
  const j = judge(base({ settings: settings({ minAgeMinutes: 60 }) }));
  const lines = judgementLines(j, PLAIN, false);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /judgement: passed — 2 package version\(s\) from package-lock\.json; minimum release age 1h \(default\); advisories from http:\/\/r\//);
  assert.deepEqual(judgementLines(j, PLAIN, true), []);
  const evil = judge(base({ hits: [{ name: 'x\x1b[2J', version: '1.0.0', id: 'i', title: 't\x07', severity: 's', malware: true, source: 'registry' }] }));
  assert.doesNotMatch(judgementLines(evil, PLAIN, false).join('\n'), /\x1b|\x07/);
});
