import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@switchboard/auth';
import { ApiProblems } from '@switchboard/common';
import { MeDto } from './me.dto';
import { MeService } from './me.service';

// Lives here, not in auth: describing the caller needs memberships, which auth cannot see.
@ApiTags('auth')
@Controller('auth')
export class MeController {
  constructor(private readonly me: MeService) {}

  @Get('me')
  @ApiOperation({ summary: 'Who am I: user, API key if any, projects with effective scopes' })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems(401)
  describe(@CurrentPrincipal() principal: Principal): Promise<MeDto> {
    return this.me.describe(principal);
  }
}
