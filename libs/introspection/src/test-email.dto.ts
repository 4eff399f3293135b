import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail } from 'class-validator';
import { IsOptionalNotNull } from '@switchboard/common';
import { TEST_ERROR_CODES } from '@switchboard/connectors';

export class SendTestEmailDto {
  @ApiPropertyOptional({ example: 'ops@example.com', description: "Defaults to the connection's addressToTest." })
  @IsOptionalNotNull()
  @IsEmail()
  to?: string;
}

export class TestEmailErrorDto {
  @ApiProperty({ enum: TEST_ERROR_CODES, example: 'AUTH_FAILED' }) code: string;
  @ApiProperty({ example: '535 Authentication failed' }) message: string;
}

export class TestEmailResultDto {
  @ApiProperty({ example: true }) success: boolean;
  @ApiProperty({ example: ['ops@example.com'] }) accepted: string[];
  @ApiProperty({ example: [] }) rejected: string[];
  @ApiProperty({ example: '<0193a5b2-5a8e-7c1f@switchboard>', nullable: true, type: String }) messageId: string | null;
  @ApiProperty({ example: '250 2.0.0 Ok: queued', nullable: true, type: String }) response: string | null;
  @ApiPropertyOptional({ type: TestEmailErrorDto }) error?: TestEmailErrorDto;
}
