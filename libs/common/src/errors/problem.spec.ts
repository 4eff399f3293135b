import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { AppError, notFound } from './app-error';
import { ErrorCode } from './error-code';
import { toProblem } from './problem';

describe('toProblem', () => {
  it('maps app errors with their code, fields and headers', () => {
    const error = new AppError(ErrorCode.VALIDATION_FAILED, 'Bad.', { errors: [{ field: 'a', message: 'm' }], headers: { x: 'y' } });
    const problem = toProblem(error, 'req-1');
    assert.deepEqual(problem.body, {
      type: 'urn:switchboard:problem:validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: 'Bad.',
      code: 'VALIDATION_FAILED',
      requestId: 'req-1',
      errors: [{ field: 'a', message: 'm' }],
    });
    assert.deepEqual(problem.headers, { x: 'y' });
    assert.equal(toProblem(notFound('Project'), 'r').body.status, 404);
  });

  it('hides internal messages and maps framework errors by status', () => {
    const internal = toProblem(new Error('password=hunter2 at db'), 'r');
    assert.equal(internal.body.status, 500);
    assert.ok(internal.internal);
    assert.ok(!JSON.stringify(internal.body).includes('hunter2'));
    assert.equal(toProblem(new NotFoundException('Cannot GET /x'), 'r').body.detail, 'No such route.');
    assert.equal(toProblem(new BadRequestException('Unexpected token } in JSON at position 3'), 'r').body.code, 'MALFORMED_REQUEST');
    assert.equal(toProblem(Object.assign(new Error('too big'), { statusCode: 413 }), 'r').body.code, 'PAYLOAD_TOO_LARGE');
  });
});
