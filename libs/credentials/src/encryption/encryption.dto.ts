import { ApiProperty } from '@nestjs/swagger';

export class KeyUsageDto {
  @ApiProperty({ example: 'k1' }) keyId: string;
  @ApiProperty({ example: 120 }) credentials: number;
  @ApiProperty({ example: false }) active: boolean;
}

export class EncryptionStatusDto {
  @ApiProperty({ example: 'k2' }) activeKeyId: string;
  @ApiProperty({ type: [KeyUsageDto] }) keys: KeyUsageDto[];
  @ApiProperty({ example: 120, description: 'Credentials still sealed under another key.' }) pending: number;
}

export class RotationResultDto {
  @ApiProperty({ example: 'k2' }) activeKeyId: string;
  @ApiProperty({ example: 120 }) rotated: number;
  @ApiProperty({ example: 0, description: 'Rewritten by someone else meanwhile (already under the active key).' }) skipped: number;
  @ApiProperty({ example: 0, description: 'Could not be opened; see the server log.' }) failed: number;
  @ApiProperty({ type: EncryptionStatusDto }) status: EncryptionStatusDto;
}
