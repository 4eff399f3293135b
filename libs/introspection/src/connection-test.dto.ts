import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsOptionalNotNull, SLUG_MESSAGE, SLUG_PATTERN } from '@switchboard/common';
import { CreateConnectionDto } from '@switchboard/connections';
import { STAGE_NAMES, TEST_ERROR_CODES } from '@switchboard/connectors';

export const DEFAULT_TEST_TIMEOUT_MS = 5_000;
export const MAX_TEST_TIMEOUT_MS = 30_000;

export class TestOptionsDto {
  @ApiPropertyOptional({
    example: 5000,
    minimum: 100,
    maximum: MAX_TEST_TIMEOUT_MS,
    default: DEFAULT_TEST_TIMEOUT_MS,
    description: 'Deadline for the whole test.',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(100)
  @Max(MAX_TEST_TIMEOUT_MS)
  timeoutMs?: number;
}

const lowercase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/**
 * A connection that is not stored: the create body, as a console's Test button sends the form it
 * would save, plus the deadline. Name, description, enabled and labels are checked as on create
 * (a form error shows on Test as on Save) and otherwise not used.
 */
export class TestDraftDto extends OmitType(CreateConnectionDto, ['name'] as const) {
  @ApiPropertyOptional({ example: 'warehouse', description: 'Optional here; checked as on create, not used (nothing is stored).' })
  @IsOptionalNotNull()
  @Transform(lowercase)
  @IsString()
  @Matches(SLUG_PATTERN, { message: `name ${SLUG_MESSAGE}` })
  name?: string;

  @ApiPropertyOptional({ example: 5000, minimum: 100, maximum: MAX_TEST_TIMEOUT_MS, default: DEFAULT_TEST_TIMEOUT_MS })
  @IsOptionalNotNull()
  @IsInt()
  @Min(100)
  @Max(MAX_TEST_TIMEOUT_MS)
  timeoutMs?: number;
}

export class TestErrorDto {
  @ApiProperty({ enum: TEST_ERROR_CODES, example: 'AUTH_FAILED' }) code: string;
  @ApiProperty({ example: 'password authentication failed for user "reader"' }) message: string;
}

export class TestStageDto {
  @ApiProperty({ enum: STAGE_NAMES, example: 'auth' }) name: string;
  @ApiProperty({ example: true }) ok: boolean;
  @ApiProperty({ example: 12.4 }) latencyMs: number;
  @ApiPropertyOptional({ type: TestErrorDto }) error?: TestErrorDto;
}

export class TestResultDto {
  @ApiProperty({ example: true }) success: boolean;
  @ApiProperty({ example: 'Connected to PostgreSQL 15.18 at db.internal:5432.' }) message: string;
  @ApiProperty({ example: 'pg' }) driver: string;
  @ApiProperty({ example: 23.9 }) latencyMs: number;
  @ApiPropertyOptional({ example: '15.18' }) serverVersion?: string;
  @ApiProperty({ type: [TestStageDto] }) stages: TestStageDto[];
  @ApiPropertyOptional({ type: TestErrorDto }) error?: TestErrorDto;
  @ApiPropertyOptional({ example: { tables: 12 } }) details?: Record<string, string | number | boolean>;
}
