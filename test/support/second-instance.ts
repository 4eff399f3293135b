import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ServiceProcess, startServiceProcess } from './service-process';
import type { TestApp } from './test-app';

export interface Instance extends ServiceProcess {
  dataDir: string;
}

/** A second Switchboard process on the same PostgreSQL database: another instance for real, not a second app in this process. */
export async function startSecondInstance(t: TestApp): Promise<Instance> {
  if (t.config.database.driver !== 'postgres') throw new Error('needs PostgreSQL');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-second-'));
  const service = await startServiceProcess(dataDir, {
    DATABASE_URL: t.config.database.url,
    SWITCHBOARD_ENCRYPTION_KEYS: t.config.encryptionKeys,
    SWITCHBOARD_JWT_SECRET: t.config.jwtSecret,
    LOG_LEVEL: 'warn',
  }).catch((error: unknown) => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    ...service,
    dataDir,
    /** Stops the process and deletes its data dir. */
    async stop() {
      await service.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
