import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin@example.com' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'correct-horse-battery-staple' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;
}

export class RefreshTokenDto {
  @ApiProperty({ example: 'sbr_0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80_Q2xpZW50U2VjcmV0VmFsdWVIZXJlMTIzNDU2Nzg5MA' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken: string;
}

export class TokenPairDto {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzaWQiOiIuLi4ifQ.c2lnbmF0dXJl' }) accessToken: string;
  @ApiProperty({ example: 'sbr_0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80_Q2xpZW50U2VjcmV0VmFsdWVIZXJlMTIzNDU2Nzg5MA' })
  refreshToken: string;
  @ApiProperty({ example: 'Bearer' }) tokenType: 'Bearer';
  @ApiProperty({ example: 900, description: 'Seconds until the access token expires.' }) expiresIn: number;
}
