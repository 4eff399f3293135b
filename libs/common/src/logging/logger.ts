import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import type { LogLevel } from '../config/app-config';
import { loggableError } from './loggable-error';

const SENSITIVE_KEY = /pass(word|phrase)?|secret|token|authorization|api[-_]?key|cookie|private[-_]?key|credential/i;
export const REDACTED = '[REDACTED]';

/** Deep copy with every sensitive-looking key replaced and every error cut to its loggable fields, whatever its depth. */
export function scrub(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return loggableError(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SENSITIVE_KEY.test(key) ? REDACTED : scrub(item, depth + 1);
  }
  return out;
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrub(object) as Record<string, unknown>,
      },
      // Instead of pino's, which copies every property of an error (scrub has cut them down already).
      serializers: { err: (value: unknown) => (value instanceof Error ? loggableError(value) : value) },
    },
    destination,
  );
}

/** Nest's logger API on top of pino, so framework and app lines share one JSON format. */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    // Nest passes the context last; error() may pass a stack string before it.
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (message instanceof Error) {
      // Not spread below: that would hand all its properties (a query's parameters...) to the line.
      const err = loggableError(message);
      this.logger[level]({ ...fields, err }, String(err.message));
      return;
    }
    if (message !== null && typeof message === 'object') {
      const { msg, ...rest } = message as Record<string, unknown>;
      this.logger[level]({ ...fields, ...rest }, typeof msg === 'string' ? msg : typeof params[0] === 'string' ? params[0] : '');
      return;
    }
    this.logger[level](fields, String(message));
  }
}
