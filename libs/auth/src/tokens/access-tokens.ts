import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@switchboard/common';
import jwt from 'jsonwebtoken';

export const JWT_ALGORITHM = 'HS256' as const;
export const JWT_ISSUER = 'switchboard';
export const JWT_AUDIENCE = 'switchboard-api';
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

export interface AccessTokenClaims {
  sub: string;
  sid: string;
}

@Injectable()
export class AccessTokens {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get secret(): string {
    return this.config.jwtSecret;
  }

  sign(userId: string, sessionId: string): string {
    return jwt.sign({ sid: sessionId }, this.config.jwtSecret, {
      algorithm: JWT_ALGORITHM,
      subject: userId,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    });
  }
}
