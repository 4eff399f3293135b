/**
 * The test command, run from the compiled tree (.build, made by `tsc` in `npm test`):
 * installs the Debian packages the tests need when missing (as root: postgresql, mariadb-server,
 * openssh-server, openssl, curl, jq, chromium), starts a throwaway PostgreSQL, runs every compiled *.spec.js with node's test runner, stops it.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findMariaDbBinaries } from './support/mariadb';
import { findPostgresBinaries, startPostgres } from './support/postgres';
import { CHROMIUM_PATH } from './support/chromium';
import { findSshd } from './support/sshd';

const BUILD = path.resolve(__dirname, '..');
const SPEC_ROOTS = ['apps', 'libs', 'test'];

/** Debian packages the tests need, each with the check that it is installed. */
const DEBIAN_PACKAGES: { name: string; installed: () => boolean }[] = [
  { name: 'postgresql', installed: () => !!findPostgresBinaries() },
  { name: 'mariadb-server', installed: () => !!findMariaDbBinaries() },
  { name: 'openssh-server', installed: () => !!findSshd() },
  // Makes the self-signed certificates of the MariaDB and SMTP test servers.
  { name: 'openssl', installed: () => fs.existsSync('/usr/bin/openssl') },
  // Run the README's tour and SSH tunnel examples as written.
  { name: 'curl', installed: () => fs.existsSync('/usr/bin/curl') },
  { name: 'jq', installed: () => fs.existsSync('/usr/bin/jq') },
  // The web console's end-to-end test drives Debian's Chromium (playwright-core, no browser download).
  { name: 'chromium', installed: () => fs.existsSync(CHROMIUM_PATH) },
];

function ensureDebianPackages(): void {
  const missing = DEBIAN_PACKAGES.filter((pkg) => !pkg.installed()).map((pkg) => pkg.name);
  if (!missing.length) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Server binaries for the tests are missing; install them with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  console.log(`Installing ${missing.join(', ')} (Debian) for the tests...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const stillMissing = DEBIAN_PACKAGES.filter((pkg) => missing.includes(pkg.name) && !pkg.installed()).map((pkg) => pkg.name);
  if (stillMissing.length) throw new Error(`${stillMissing.join(', ')} installed but the server binaries were not found`);
}

function specFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : specFiles(full);
    return entry.name.endsWith('.spec.js') ? [full] : [];
  });
}

async function main(): Promise<number> {
  ensureDebianPackages();
  const filter = process.argv.slice(2);
  const files = SPEC_ROOTS.flatMap((root) => specFiles(path.join(BUILD, root)))
    .map((file) => path.relative(BUILD, file))
    .filter((file) => !filter.length || filter.some((part) => file.includes(part)))
    .sort();
  if (!files.length) throw new Error(`no spec files match ${filter.join(' ')}`);
  const postgres = await startPostgres();
  try {
    const register = path.join(BUILD, 'test', 'support', 'paths.js');
    const args = ['--enable-source-maps', '--require', register, '--test', '--test-concurrency=2', ...files];
    const child = spawn(process.execPath, args, {
      cwd: BUILD,
      stdio: 'inherit',
      env: { ...process.env, SWITCHBOARD_TEST_PG_URL: postgres.url() },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    await postgres.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
