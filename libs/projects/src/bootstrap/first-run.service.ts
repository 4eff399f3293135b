import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { UsersService } from '@switchboard/auth';
import { APP_CONFIG, AppConfig, AppError, ErrorCode, uuidv7 } from '@switchboard/common';
import { randomBase62 } from '@switchboard/crypto';
import { ProjectEntity } from '../projects/project.entity';
import { ProjectsRepository } from '../projects/projects.repository';
import { ROLE_SCOPES } from '../roles/roles';
import { FirstRunSample } from './first-run-sample';

export const DEFAULT_PROJECT_SLUG = 'default';

/**
 * First start with no users: an instance admin, a `default` project they own and, unless
 * SWITCHBOARD_SAMPLE=false, a sample connection in it.
 */
@Injectable()
export class FirstRunService implements OnApplicationBootstrap {
  private readonly logger = new Logger('FirstRun');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly projects: ProjectsRepository,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (await this.users.hasAnyUser()) return;
    const generated = this.config.admin.password === undefined;
    const password = this.config.admin.password ?? randomBase62(24);
    let admin;
    try {
      admin = await this.users.createEntity({ email: this.config.admin.email, password, name: 'Administrator', isAdmin: true });
    } catch (error) {
      // Another instance sharing the database bootstrapped first.
      if (error instanceof AppError && error.code === ErrorCode.CONFLICT) return;
      throw error;
    }
    const now = new Date();
    const project = await this.projects.insertWithOwner(
      {
        id: uuidv7(),
        slug: DEFAULT_PROJECT_SLUG,
        name: 'Default',
        description: 'Created on first start.',
        createdBy: admin.id,
        createdAt: now,
        updatedAt: now,
      },
      admin.id,
    );
    this.logger.log({ email: admin.email, project: DEFAULT_PROJECT_SLUG }, 'Created the first instance admin and the default project');
    if (this.config.sample) await this.createSample(project);
    if (generated) {
      // Printed once, outside the structured log, and never stored in clear.
      process.stdout.write(
        `\n  Switchboard admin created: ${admin.email}\n  Generated password (shown only now): ${password}\n  Set SWITCHBOARD_ADMIN_PASSWORD to choose it instead.\n\n`,
      );
    }
  }

  /** Made by the bootstrap, as the audit trail records it; a failure here must not stop the service. */
  private async createSample(project: ProjectEntity): Promise<void> {
    const actor = { type: 'system' as const, label: 'bootstrap' };
    try {
      await this.moduleRef.get(FirstRunSample, { strict: false }).create(actor, { project, role: 'owner', scopes: ROLE_SCOPES.owner });
    } catch (error) {
      this.logger.error({ err: error }, 'Could not create the sample connection; the service runs without it');
    }
  }
}
