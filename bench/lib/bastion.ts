import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sshFingerprint, type SshServer, startSshd } from '../../test/support/sshd';

/** The SSH bastion of (f-ssh): the tests' throwaway OpenSSH sshd, logging each forwarded channel. */
export interface Bastion {
  server: SshServer;
  /** `config.sshTunnel` of a connection through it, its host key pinned (no trust-on-first-use version bump mid-run). */
  sshTunnel: { host: string; port: number; username: string; hostKeyFingerprint: string };
  stop(): Promise<void>;
}

/** A key of its own for one tunneled connection, authorized on the bastion. */
export interface BastionKey {
  privateKey: string;
  /** As sshd logs it when the key signs in. */
  fingerprint: string;
}

export async function startBastion(): Promise<Bastion> {
  // DEBUG1: sshd logs every direct-tcpip channel with its target, which is how the bench proves its traffic went through it.
  const server = await startSshd({ logLevel: 'DEBUG1' });
  return {
    server,
    sshTunnel: { host: server.host, port: server.port, username: server.username, hostKeyFingerprint: server.hostKeyFingerprint },
    stop: () => server.stop(),
  };
}

/**
 * `count` fresh ed25519 keys (OpenSSH format, as `ssh-keygen` writes them), each authorized on
 * the bastion. Connections with different keys never share a tunnel: one SSH connection each.
 */
export function newBastionKeys(bastion: Bastion, count: number): BastionKey[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-keys-'));
  try {
    return Array.from({ length: count }, (_, index) => {
      const file = path.join(dir, `key-${index}`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `switchboard-bench-${index}`, '-f', file], { stdio: 'pipe' });
      const publicKey = fs.readFileSync(`${file}.pub`, 'utf8').trim();
      bastion.server.authorize(publicKey);
      return { privateKey: fs.readFileSync(file, 'utf8'), fingerprint: sshFingerprint(publicKey) };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What the bastion's log says happened since `mark` (a byte offset from `logMark`). */
export interface BastionActivity {
  /** Fingerprints of the keys that signed in, once per sign-in. */
  signIns: string[];
  /** Forwarded channels (direct-tcpip) opened to this port. */
  channelsTo(port: number): number;
}

export const logMark = (bastion: Bastion): number => fs.statSync(bastion.server.logFile).size;

export function activitySince(bastion: Bastion, mark: number): BastionActivity {
  const log = fs.readFileSync(bastion.server.logFile, 'utf8').slice(mark);
  const signIns = [...log.matchAll(/Accepted publickey for \S+ from \S+ port \d+ ssh2: \S+ (SHA256:\S+)/g)].map((match) => match[1]);
  const targets = [...log.matchAll(/server_request_direct_tcpip: originator \S+ port \d+, target \S+ port (\d+)/g)].map((match) =>
    Number(match[1]),
  );
  return { signIns, channelsTo: (port) => targets.filter((target) => target === port).length };
}

/**
 * TCP connections to `port` on this host that are established right now, counted on the
 * client's side (/proc/net/tcp and tcp6): the live SSH connections to the bastion, whose only
 * client in the bench is the service.
 */
export function establishedTo(port: number): number {
  const ESTABLISHED = '01';
  return ['/proc/net/tcp', '/proc/net/tcp6'].reduce((count, file) => {
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').slice(1) : [];
    return (
      count +
      lines.filter((line) => {
        const [, , remote, state] = line.trim().split(/\s+/);
        return state === ESTABLISHED && parseInt(remote.split(':')[1], 16) === port;
      }).length
    );
  }, 0);
}
