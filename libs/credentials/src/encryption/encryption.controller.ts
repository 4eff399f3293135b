import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor, InstanceAdminOnly } from '@switchboard/auth';
import { ApiProblems } from '@switchboard/common';
import { EncryptionStatusDto, RotationResultDto } from './encryption.dto';
import { EncryptionService } from './encryption.service';

@ApiTags('admin')
@Controller('admin/encryption')
@InstanceAdminOnly()
@ApiProblems(401, 403)
export class EncryptionController {
  constructor(private readonly encryption: EncryptionService) {}

  @Get()
  @ApiOperation({ summary: 'How many credentials are sealed under each key (instance admins)' })
  @ApiOkResponse({ type: EncryptionStatusDto })
  status(): Promise<EncryptionStatusDto> {
    return this.encryption.status();
  }

  @Post('rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Re-encrypt every credential under the active (first) key',
    description:
      'Batched, row by row compare-and-set; idempotent and resumable. Put the new key first in SWITCHBOARD_ENCRYPTION_KEYS, restart, rotate, then drop the old key.',
  })
  @ApiOkResponse({ type: RotationResultDto })
  rotate(@CurrentActor() actor: AuditActor): Promise<RotationResultDto> {
    return this.encryption.rotate(actor);
  }
}
