import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor, InstanceAdminOnly } from '@switchboard/auth';
import { ApiProblems, ParseIdPipe } from '@switchboard/common';
import { UserDeletionService } from './user-deletion.service';

// The other /users routes live in auth; this one here, as deleting a user must keep every project an owner.
@ApiTags('users')
@Controller('users')
@InstanceAdminOnly()
@ApiProblems(401, 403)
export class UserDeletionController {
  constructor(private readonly deletion: UserDeletionService) {}

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a user, with their memberships, sessions and API keys',
    description:
      'Refused (409) while the user is the last owner of a project: the answer names those projects; make someone else ' +
      'owner there first. Disabling the user instead is allowed (see PATCH).',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(404, 409)
  delete(@CurrentActor() actor: AuditActor, @Param('id', new ParseIdPipe('User')) id: string): Promise<void> {
    return this.deletion.delete(actor, id);
  }
}
