import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuditActor } from '@switchboard/audit';
import { APP_CONFIG, AppConfig } from '@switchboard/common';
import { FirstRunSample, ProjectAccess } from '@switchboard/projects';
import { ConnectionsService } from '../connections.service';
import { createSampleDatabase, SAMPLE_FILE } from './sample-database';

export const SAMPLE_CONNECTION = 'sample';

/** The sample database and a read-only `sample` connection to it, made through the service (audited). */
@Injectable()
export class SampleConnection extends FirstRunSample {
  private readonly logger = new Logger('FirstRun');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsService,
  ) {
    super();
  }

  async create(actor: AuditActor, access: ProjectAccess): Promise<void> {
    if (!createSampleDatabase(this.config.sqliteRoot)) {
      this.logger.warn(`${SAMPLE_FILE} already exists under the SQLite root: left as it is, and no sample connection made.`);
      return;
    }
    await this.connections.create(actor, access, {
      name: SAMPLE_CONNECTION,
      description: 'A small sample shop to try the API on (customers, products, orders, order_items, view order_totals).',
      type: 'sqlite',
      config: { path: SAMPLE_FILE },
      labels: { origin: 'sample' },
    });
    this.logger.log({ project: access.project.slug, connection: SAMPLE_CONNECTION }, 'Created the sample database and connection');
  }
}
