import type { Type as Class } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_PER_PAGE = 100;
/** Keeps OFFSET a plain integer the database accepts, whatever number a client sends. */
export const MAX_PAGE = 1_000_000;

export class PageQueryDto {
  @ApiProperty({ required: false, minimum: 1, maximum: MAX_PAGE, default: 1, example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiProperty({ required: false, minimum: 1, maximum: MAX_PER_PAGE, default: 20, example: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PER_PAGE)
  perPage: number = 20;
}

export class PageMetaDto {
  @ApiProperty({ example: 42 }) total: number;
  @ApiProperty({ example: 1 }) page: number;
  @ApiProperty({ example: 20 }) perPage: number;
}

export interface Page<T> {
  data: T[];
  meta: PageMetaDto;
}

/** The documented `{data, meta}` envelope of a list of `item`, named e.g. `UserPageDto`. */
export function PageDtoOf<T>(item: Class<T>): Class<Page<T>> {
  class PageOf implements Page<T> {
    @ApiProperty({ type: [item] }) data: T[];
    @ApiProperty({ type: PageMetaDto }) meta: PageMetaDto;
  }
  Object.defineProperty(PageOf, 'name', { value: item.name.replace(/Dto$/, 'PageDto') });
  return PageOf;
}

export interface PageWindow {
  skip: number;
  take: number;
}

export const pageWindow = (query: PageQueryDto): PageWindow => ({
  skip: (query.page - 1) * query.perPage,
  take: query.perPage,
});

export function toPage<T, R>(rows: T[], total: number, query: PageQueryDto, map: (row: T) => R): Page<R> {
  return { data: rows.map(map), meta: { total, page: query.page, perPage: query.perPage } };
}
