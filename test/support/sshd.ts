import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './postgres';
import { cleanUpOnExit, isRoot, logTail, makeTempDir, waitUntil } from './servers';

/**
 * A throwaway OpenSSH sshd (Debian package openssh-server) on 127.0.0.1, configured entirely
 * from its temp dir: own host key, authorized keys, pid file; password and public-key auth,
 * sftp via internal-sftp. It logs in the machine account `sbtest` (created once, reused).
 * Runs as root: sshd needs it to check passwords and switch to the user.
 */
export interface SshServer {
  host: string;
  port: number;
  username: string;
  password: string;
  /** OpenSSH-format ed25519 private key without passphrase, authorized for `username`. */
  privateKey: string;
  /** OpenSSH-format ed25519 private key encrypted with `passphrase`, also authorized. */
  encryptedPrivateKey: string;
  passphrase: string;
  publicKey: string;
  /** "SHA256:<base64, no padding>" of the host key, as `ssh-keygen -l` prints it. */
  hostKeyFingerprint: string;
  /** The host public key line (`ssh-ed25519 AAAA… comment`), for known_hosts style checks. */
  hostPublicKey: string;
  /**
   * A directory owned by `username` holding sample files:
   * data/customers.csv, data/events.jsonl, nested/level1/level2/deep.txt, empty/, README.txt.
   */
  rootDir: string;
  /** Ends every open SSH connection from the server side (kills its per-connection processes); returns how many. */
  dropConnections(): number;
  /** Adds a public key line to `username`'s authorized keys. */
  authorize(publicKeyLine: string): void;
  /** The server's log (LogLevel VERBOSE unless started with another, per-connection processes included). */
  logFile: string;
  /** Kills every process of this server (as a crash or reboot would) and starts it again on the same port, same host key. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const SSH_TEST_USER = 'sbtest';
const SSHD = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';
const USER_LOCK = path.join(os.tmpdir(), 'switchboard-sshd-user.lock');

export function findSshd(): string | undefined {
  return fs.existsSync(SSHD) ? SSHD : undefined;
}

/** Base64 SHA-256 of the key blob without padding, the format `ssh-keygen -l` prints. */
export function sshFingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1], 'base64');
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/**
 * Creates the test account once (useradd -m) and gives it a random password kept in its home
 * (root-only file), so concurrent test processes agree on it; serialised with flock.
 */
function ensureTestUser(): string {
  const script = `
set -e
u="$1"
if ! id -u "$u" >/dev/null 2>&1; then
  useradd -m -s /bin/bash "$u"
fi
home=$(getent passwd "$u" | cut -d: -f6)
mkdir -p "$home"
f="$home/.switchboard-test-password"
if [ ! -s "$f" ]; then
  (umask 077; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 > "$f")
fi
chown root:root "$f"
chmod 600 "$f"
printf '%s:%s\\n' "$u" "$(cat "$f")" | chpasswd
cat "$f"
`;
  try {
    return execFileSync('flock', ['-w', '30', USER_LOCK, 'sh', '-c', script, 'sh', SSH_TEST_USER], { stdio: 'pipe' }).toString().trim();
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`could not set up the ssh test user ${SSH_TEST_USER}: ${stderr || error}`, { cause: error });
  }
}

function keygen(file: string, passphrase: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', file], { stdio: 'pipe' });
}

function writeSampleFiles(rootDir: string): void {
  const files: Record<string, string> = {
    'README.txt': 'Sample files for Switchboard connector tests.\n',
    'data/customers.csv':
      'id,name,email,created_at\n1,Ada,ada@example.test,2024-01-02\n2,Grace,grace@example.test,2024-02-03\n3,Linus,linus@example.test,2024-03-04\n',
    'data/events.jsonl':
      [
        { id: 1, type: 'signup', at: '2024-01-02T10:00:00Z' },
        { id: 2, type: 'login', at: '2024-01-02T10:05:00Z' },
        { id: 3, type: 'purchase', at: '2024-01-03T08:30:00Z', amount: 12.5 },
      ]
        .map((event) => JSON.stringify(event))
        .join('\n') + '\n',
    'nested/level1/level2/deep.txt': 'deep\n',
  };
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(rootDir, name)), { recursive: true });
    fs.writeFileSync(path.join(rootDir, name), content);
  }
  fs.mkdirSync(path.join(rootDir, 'empty'), { recursive: true });
}

/** Resolves once the port answers with an SSH identification line. */
function sshBanner(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(2000, () => socket.destroy(new Error('no banner')));
    socket.once('data', (chunk) => {
      socket.destroy();
      if (chunk.toString().startsWith('SSH-')) resolve();
      else reject(new Error(`unexpected banner ${JSON.stringify(chunk.toString().slice(0, 60))}`));
    });
    socket.once('error', reject);
  });
}

/** Pids of the processes below `pid`, children before grandchildren. */
function descendantPids(pid: number): number[] {
  const children = childPids(pid);
  return [...children, ...children.flatMap(descendantPids)];
}

/** Pids of the processes whose parent is `pid` (sshd's per-connection processes). */
function childPids(pid: number): number[] {
  return fs.readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      // The command name in parentheses may contain spaces; the ppid follows the closing one.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === pid ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

/** An sftp connection body to this server's sample directory, its host key pinned. */
export function sftpConnectionBody(sshd: SshServer): { type: 'sftp'; config: Record<string, unknown>; secrets: { password: string } } {
  return {
    type: 'sftp',
    config: {
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      rootPath: sshd.rootDir,
      hostKeyFingerprint: sshd.hostKeyFingerprint,
    },
    secrets: { password: sshd.password },
  };
}

export interface SshdOptions {
  /** VERBOSE (default) logs sign-ins; DEBUG1 also logs each forwarded channel (direct-tcpip) with its target. */
  logLevel?: 'VERBOSE' | 'DEBUG1';
}

export async function startSshd(options: SshdOptions = {}): Promise<SshServer> {
  if (!findSshd()) {
    throw new Error(`${SSHD} not found: install the Debian package openssh-server (npm test does this when run as root)`);
  }
  if (!isRoot()) {
    throw new Error('the test sshd must run as root (password auth and switching to the test user need it); run the tests as root');
  }
  const dir = makeTempDir('sshd');
  try {
    return await startIn(dir, options.logLevel ?? 'VERBOSE');
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(dir: string, logLevel: NonNullable<SshdOptions['logLevel']>): Promise<SshServer> {
  const password = ensureTestUser();
  fs.mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
  // The user's sshd process and sftp must traverse the dir; the secrets inside stay private.
  fs.chmodSync(dir, 0o755);

  const hostKeyFile = path.join(dir, 'ssh_host_ed25519_key');
  keygen(hostKeyFile, '', 'switchboard-test-host');
  const hostPublicKey = fs.readFileSync(`${hostKeyFile}.pub`, 'utf8').trim();

  const clientDir = path.join(dir, 'client');
  fs.mkdirSync(clientDir, { mode: 0o700 });
  const passphrase = 'switchboard-test-passphrase';
  keygen(path.join(clientDir, 'id_ed25519'), '', 'switchboard-test-client');
  keygen(path.join(clientDir, 'id_ed25519_encrypted'), passphrase, 'switchboard-test-client-encrypted');
  const publicKey = fs.readFileSync(path.join(clientDir, 'id_ed25519.pub'), 'utf8').trim();
  const encryptedPublicKey = fs.readFileSync(path.join(clientDir, 'id_ed25519_encrypted.pub'), 'utf8').trim();

  const authorizedDir = path.join(dir, 'authorized_keys');
  fs.mkdirSync(authorizedDir, { mode: 0o755 });
  fs.writeFileSync(path.join(authorizedDir, SSH_TEST_USER), `${publicKey}\n${encryptedPublicKey}\n`, { mode: 0o644 });

  const rootDir = path.join(dir, 'root');
  writeSampleFiles(rootDir);
  execFileSync('chown', ['-R', `${SSH_TEST_USER}:`, rootDir]);

  const configFile = path.join(dir, 'sshd_config');
  const logFile = path.join(dir, 'sshd.log');
  const pidFile = path.join(dir, 'sshd.pid');
  // The port is only reserved until it is bound; if another process takes it first, retry.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    fs.writeFileSync(
      configFile,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKeyFile}`,
        `PidFile ${pidFile}`,
        `AuthorizedKeysFile ${authorizedDir}/%u`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication yes',
        'PermitEmptyPasswords no',
        'KbdInteractiveAuthentication no',
        // Without PAM sshd checks /etc/shadow itself (it runs as root), which is all password
        // auth needs and avoids PAM session modules that fail in containers.
        'UsePAM no',
        'PermitRootLogin no',
        `AllowUsers ${SSH_TEST_USER}`,
        'StrictModes no',
        'UseDNS no',
        'PrintMotd no',
        'MaxStartups 100:30:200',
        'MaxSessions 50',
        'LoginGraceTime 30',
        `LogLevel ${logLevel}`,
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    const log = fs.openSync(logFile, 'w');
    let child!: ChildProcess;
    let exitedWith: string | undefined;
    let exited!: Promise<void>;
    let cancelCleanUp = (): void => undefined;
    const launch = (): void => {
      child = spawn(SSHD, ['-D', '-e', '-f', configFile], { stdio: ['ignore', log, log] });
      exitedWith = undefined;
      const launched = child;
      exited = new Promise<void>((resolve) =>
        launched.once('exit', (code, signal) => {
          exitedWith = `exited (${signal ?? code})`;
          resolve();
        }),
      );
      cancelCleanUp = cleanUpOnExit(child, dir);
    };
    launch();
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      if (exitedWith === undefined && child.pid) {
        // sshd -D does not end the per-connection processes (they start their own session).
        for (const pid of childPids(child.pid)) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        timer.unref();
        await exited;
        clearTimeout(timer);
      }
      fs.closeSync(log);
      cancelCleanUp();
    };
    try {
      await waitUntil(() => sshBanner(port), {
        abort: () => exitedWith,
        describe: (why) => `sshd did not come up on 127.0.0.1:${port}: ${why}; log ${logFile}:\n${logTail(logFile)}`,
      });
    } catch (error) {
      const portTaken = exitedWith !== undefined && /Address already in use/i.test(logTail(logFile));
      await stop();
      if (portTaken && attempt < 3) continue;
      throw error;
    }
    return {
      host: '127.0.0.1',
      port,
      username: SSH_TEST_USER,
      password,
      privateKey: fs.readFileSync(path.join(clientDir, 'id_ed25519'), 'utf8'),
      encryptedPrivateKey: fs.readFileSync(path.join(clientDir, 'id_ed25519_encrypted'), 'utf8'),
      passphrase,
      publicKey,
      hostKeyFingerprint: sshFingerprint(hostPublicKey),
      hostPublicKey,
      rootDir,
      dropConnections() {
        const connections = child.pid ? childPids(child.pid) : [];
        for (const pid of child.pid ? descendantPids(child.pid) : []) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        return connections.length;
      },
      authorize(publicKeyLine: string) {
        fs.appendFileSync(path.join(authorizedDir, SSH_TEST_USER), `${publicKeyLine.trim()}\n`);
      },
      logFile,
      async restart() {
        for (const pid of child.pid ? [...descendantPids(child.pid), child.pid] : []) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await exited;
        cancelCleanUp();
        launch();
        await waitUntil(() => sshBanner(port), {
          abort: () => exitedWith,
          describe: (why) => `sshd did not come back on 127.0.0.1:${port}: ${why}; log ${logFile}:\n${logTail(logFile)}`,
        });
      },
      async stop() {
        await stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
