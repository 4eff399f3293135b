import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNotNull, PageDtoOf } from '@switchboard/common';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';
import { UserEntity } from './user.entity';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

const trimLower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class CreateUserDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'correct-horse-battery-staple', minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @IsString()
  @MinLength(PASSWORD_MIN)
  @MaxLength(PASSWORD_MAX)
  password: string;

  @ApiProperty({ example: 'Ada Lovelace' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ example: false, default: false, description: 'Instance admins manage users.' })
  @IsOptionalNotNull()
  @IsBoolean()
  isAdmin?: boolean;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'Ada King' })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ example: 'another-long-passphrase', description: 'Changing it signs the user out everywhere.' })
  @IsOptionalNotNull()
  @IsString()
  @MinLength(PASSWORD_MIN)
  @MaxLength(PASSWORD_MAX)
  password?: string;

  @ApiPropertyOptional({ example: false })
  @IsOptionalNotNull()
  @IsBoolean()
  isAdmin?: boolean;

  @ApiPropertyOptional({ example: true, description: 'A disabled user is refused at once, tokens and keys alike.' })
  @IsOptionalNotNull()
  @IsBoolean()
  disabled?: boolean;
}

export class UserDto {
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' }) id: string;
  @ApiProperty({ example: 'ada@example.com' }) email: string;
  @ApiProperty({ example: 'Ada Lovelace' }) name: string;
  @ApiProperty({ example: false }) isAdmin: boolean;
  @ApiProperty({ example: false }) disabled: boolean;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) updatedAt: string;
  @ApiProperty({ example: '2026-11-22T09:30:00.000Z', nullable: true, type: String }) lastLoginAt: string | null;
}

export class UserPageDto extends PageDtoOf(UserDto) {}

export const toUserDto = (user: UserEntity): UserDto => ({
  id: user.id,
  email: user.email,
  name: user.name,
  isAdmin: user.isAdmin,
  disabled: user.disabled,
  createdAt: user.createdAt.toISOString(),
  updatedAt: user.updatedAt.toISOString(),
  lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
});
