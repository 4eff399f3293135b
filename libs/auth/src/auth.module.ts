import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyEntity } from './api-keys/api-key.entity';
import { ApiKeyAuthenticationRepository } from './api-keys/api-key-authentication.repository';
import { ApiKeysRepository } from './api-keys/api-keys.repository';
import { ApiKeysService } from './api-keys/api-keys.service';
import { AuthCache } from './cache/auth-cache';
import { AuthenticationGuard } from './guards/authentication.guard';
import { SessionEntity } from './sessions/session.entity';
import { SessionsRepository } from './sessions/sessions.repository';
import { ApiKeyStrategy } from './strategies/api-key.strategy';
import { JwtStrategy } from './strategies/jwt.strategy';
import { AccessTokens } from './tokens/access-tokens';
import { AuthController } from './tokens/auth.controller';
import { AuthService } from './tokens/auth.service';
import { LoginThrottle } from './tokens/login-throttle';
import { UserEntity } from './users/user.entity';
import { UsersController } from './users/users.controller';
import { UsersRepository } from './users/users.repository';
import { UsersService } from './users/users.service';

export const AUTH_ENTITIES = [UserEntity, SessionEntity, ApiKeyEntity];

@Module({
  imports: [PassportModule, TypeOrmModule.forFeature(AUTH_ENTITIES)],
  controllers: [AuthController, UsersController],
  providers: [
    AuthCache,
    UsersRepository,
    SessionsRepository,
    ApiKeysRepository,
    ApiKeyAuthenticationRepository,
    UsersService,
    ApiKeysService,
    AccessTokens,
    AuthService,
    LoginThrottle,
    JwtStrategy,
    ApiKeyStrategy,
    { provide: APP_GUARD, useClass: AuthenticationGuard },
  ],
  exports: [UsersService, UsersRepository, ApiKeysService, AuthCache],
})
export class AuthModule {}
