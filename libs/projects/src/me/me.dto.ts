import { ApiProperty } from '@nestjs/swagger';
import { type Scope, SCOPES, UserDto } from '@switchboard/auth';
import { type Role, ROLES } from '../roles/roles';

export class MeMembershipDto {
  @ApiProperty({ example: '0193a5b2-0000-7000-8000-000000000001' }) projectId: string;
  @ApiProperty({ example: 'default' }) slug: string;
  @ApiProperty({ example: 'Default' }) name: string;
  @ApiProperty({ enum: ROLES, example: 'owner' }) role: Role;
  @ApiProperty({ enum: SCOPES, isArray: true, example: ['projects:read', 'connections:read'] }) scopes: Scope[];
}

export class MeApiKeyDto {
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' }) id: string;
  @ApiProperty({ example: '0193a5b2-0000-7000-8000-000000000001' }) projectId: string;
  @ApiProperty({ enum: SCOPES, isArray: true, example: ['connections:read'] }) scopes: Scope[];
}

export class MeDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ type: MeApiKeyDto, nullable: true, description: 'Set when the call was made with an API key.' })
  apiKey: MeApiKeyDto | null;
  @ApiProperty({ type: [MeMembershipDto], description: 'Effective scopes per project (for a key: its own project only).' })
  memberships: MeMembershipDto[];
}
