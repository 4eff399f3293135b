import { Injectable, PipeTransform } from '@nestjs/common';
import { notFound } from '../errors/app-error';
import { isUuid } from './uuid';

/** An id path parameter that is not a UUID names nothing: 404, not a database type error. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string): string {
    if (!isUuid(value)) throw notFound(this.what);
    return value.toLowerCase();
  }
}
