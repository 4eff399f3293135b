import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '@switchboard/auth';
import { ProjectAccessGuard } from './access/project-access.guard';
import { ProjectAccessService } from './access/project-access.service';
import { ProjectApiKeysController } from './api-keys/project-api-keys.controller';
import { AuditEventsController } from './audit/audit-events.controller';
import { FirstRunService } from './bootstrap/first-run.service';
import { MeController } from './me/me.controller';
import { MeService } from './me/me.service';
import { MembersController } from './members/members.controller';
import { MembersService } from './members/members.service';
import { MembershipEntity } from './members/membership.entity';
import { MembershipsRepository } from './members/memberships.repository';
import { ProjectEntity } from './projects/project.entity';
import { ProjectsController } from './projects/projects.controller';
import { ProjectsRepository } from './projects/projects.repository';
import { ProjectsService } from './projects/projects.service';
import { UserDeletionController } from './users/user-deletion.controller';
import { UserDeletionService } from './users/user-deletion.service';

export const PROJECT_ENTITIES = [ProjectEntity, MembershipEntity];

@Module({
  imports: [AuthModule, TypeOrmModule.forFeature(PROJECT_ENTITIES)],
  controllers: [
    ProjectsController,
    MembersController,
    ProjectApiKeysController,
    MeController,
    AuditEventsController,
    UserDeletionController,
  ],
  providers: [
    ProjectsRepository,
    MembershipsRepository,
    ProjectAccessService,
    ProjectAccessGuard,
    ProjectsService,
    MembersService,
    MeService,
    FirstRunService,
    UserDeletionService,
  ],
  exports: [ProjectsRepository, ProjectAccessService, ProjectAccessGuard],
})
export class ProjectsModule {}
