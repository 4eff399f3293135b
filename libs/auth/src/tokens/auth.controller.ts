import { Controller, HttpCode, Post } from '@nestjs/common';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor } from '../actor';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Public, RequestHeader, ValidBody } from '@switchboard/common';

import { AuthService } from './auth.service';
import { LoginDto, RefreshTokenDto, TokenPairDto } from './token.dto';

// Every route here is how a client gets credentials, so none needs them.
@ApiTags('auth')
@Public()
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with email and password', description: 'Rate-limited per account and address (429 with Retry-After).' })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(400, 401, 429)
  login(
    @ValidBody() dto: LoginDto,
    @CurrentActor() actor: AuditActor,
    @RequestHeader('user-agent') userAgent?: string,
  ): Promise<TokenPairDto> {
    return this.auth.login(dto, { actor, userAgent });
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Trade a refresh token for a new pair',
    description: 'The old refresh token stops working; using it again ends the session.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(400, 401)
  refresh(@ValidBody() dto: RefreshTokenDto, @CurrentActor() actor: AuditActor): Promise<TokenPairDto> {
    return this.auth.refresh(dto.refreshToken, actor);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({
    summary: 'End the session behind a refresh token',
    description:
      'Only a live refresh token signs out. Any other answers 401 and nothing was signed out, except that the token ' +
      'a refresh already replaced ends the session, as on refresh (it leaked).',
  })
  @ApiNoContentResponse({ description: 'Signed out: the refresh token and the access tokens of its session stop working.' })
  @ApiProblems(400, 401)
  logout(@ValidBody() dto: RefreshTokenDto, @CurrentActor() actor: AuditActor): Promise<void> {
    return this.auth.logout(dto.refreshToken, actor);
  }
}
