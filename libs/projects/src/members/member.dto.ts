import { PageDtoOf } from '@switchboard/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, MaxLength } from 'class-validator';
import { type Role, ROLES } from '../roles/roles';
import type { MemberRow } from './memberships.repository';

export class PutMemberDto {
  @ApiProperty({ enum: ROLES, example: 'editor' })
  @IsIn(ROLES)
  role: Role;
}

export class AddMemberDto {
  @ApiProperty({ example: 'ada@example.com', description: 'The email of a user you can already see (see the operation).' })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ enum: ROLES, example: 'editor' })
  @IsIn(ROLES)
  role: Role;
}

export class MemberDto {
  @ApiProperty({ example: '0193a5b2-0000-7000-8000-000000000002' }) userId: string;
  @ApiProperty({ example: 'ada@example.com' }) email: string;
  @ApiProperty({ example: 'Ada Lovelace' }) name: string;
  @ApiProperty({ enum: ROLES, example: 'editor' }) role: Role;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) updatedAt: string;
}

export class MemberPageDto extends PageDtoOf(MemberDto) {}

export const toMemberDto = (row: MemberRow): MemberDto => ({
  userId: row.userId,
  email: row.email,
  name: row.name,
  role: row.role,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
