import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsOptionalNotNull, SLUG_MESSAGE, SLUG_PATTERN, PageDtoOf } from '@switchboard/common';
import { type Scope, SCOPES } from '@switchboard/auth';
import { type Role, ROLES } from '../roles/roles';
import type { ProjectEntity } from './project.entity';

const lowercase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class CreateProjectDto {
  @ApiProperty({ example: 'analytics', description: 'Unique, lowercase; used in URLs.' })
  @Transform(lowercase)
  @IsString()
  @Matches(SLUG_PATTERN, { message: `slug ${SLUG_MESSAGE}` })
  slug: string;

  @ApiProperty({ example: 'Analytics' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ example: 'Warehouse and BI connections', nullable: true, type: String, description: 'null: none.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;
}

export class UpdateProjectDto {
  @ApiPropertyOptional({ example: 'analytics-eu' })
  @IsOptionalNotNull()
  @Transform(lowercase)
  @IsString()
  @Matches(SLUG_PATTERN, { message: `slug ${SLUG_MESSAGE}` })
  slug?: string;

  @ApiPropertyOptional({ example: 'Analytics (EU)' })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ example: 'EU warehouse', nullable: true, type: String, description: 'null clears it.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;
}

export class ProjectDto {
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' }) id: string;
  @ApiProperty({ example: 'analytics' }) slug: string;
  @ApiProperty({ example: 'Analytics' }) name: string;
  @ApiProperty({ example: 'Warehouse and BI connections', nullable: true, type: String }) description: string | null;
  @ApiProperty({
    enum: ROLES,
    example: 'owner',
    nullable: true,
    description:
      "The calling user's role here (an instance admin's is owner). null when the caller is an API key: a key has no role, " +
      "only scopes, which its creator's role caps.",
  })
  role: Role | null;
  @ApiProperty({
    enum: SCOPES,
    isArray: true,
    example: ['projects:read', 'connections:read'],
    description: 'What the caller may do here: the role’s scopes, or for an API key its own scopes within its creator’s role.',
  })
  scopes: Scope[];
  @ApiProperty({ example: '0193a5b2-0000-7000-8000-000000000002', nullable: true, type: String }) createdBy: string | null;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) updatedAt: string;
}

export class ProjectPageDto extends PageDtoOf(ProjectDto) {}

/** What the caller holds in the project: a role (none for an API key) and the scopes it may use. */
export interface CallerAccess {
  role: Role | null;
  scopes: readonly Scope[];
}

export const toProjectDto = (project: ProjectEntity, caller: CallerAccess): ProjectDto => ({
  id: project.id,
  slug: project.slug,
  name: project.name,
  description: project.description,
  role: caller.role,
  scopes: [...caller.scopes],
  createdBy: project.createdBy,
  createdAt: project.createdAt.toISOString(),
  updatedAt: project.updatedAt.toISOString(),
});
