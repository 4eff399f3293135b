import fs from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
/** What SQLite writes beside the database: WAL, shared-memory index, rollback journal. */
const COMPANIONS = ['-wal', '-shm', '-journal'];

/**
 * The SQLite file holds password hashes, key hashes, secret envelopes and the audit trail:
 * only the service's own user may read it. SQLite creates -wal and -shm with the mode of the
 * database file, so a database file made 0600 before SQLite opens it keeps them 0600 too,
 * whatever the umask (no process-wide umask change, which would race other work). A directory
 * or files left looser, e.g. by an earlier version, are tightened, with a warning. A directory
 * the service may not chmod (not its owner, e.g. a volume with a group owner) stays as it is,
 * with a warning: the files in it are still private.
 */
export function preparePrivateSqliteFile(file: string, logger = new Logger('Database')): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  tighten(dir, PRIVATE_DIR, logger, { mayFail: true });
  fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_WRONLY, PRIVATE_FILE));
  for (const name of [file, ...COMPANIONS.map((suffix) => file + suffix)]) tighten(name, PRIVATE_FILE, logger);
}

/** Drops the permission bits of `name` beyond `mode`, if it exists and has any. */
function tighten(name: string, mode: number, logger: Logger, options: { mayFail?: boolean } = {}): void {
  let current: number;
  try {
    current = fs.statSync(name).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((current & ~mode) === 0) return;
  const was = `${name} was mode 0${current.toString(8)}, open beyond the service's user`;
  try {
    fs.chmodSync(name, mode);
  } catch (error) {
    if (!options.mayFail || (error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    logger.warn(`${was}, and only its owner may change that: make it 0${mode.toString(8)}.`);
    return;
  }
  logger.warn(`${was}; now 0${mode.toString(8)}.`);
}
