import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretForms } from './secret-forms';
import { secretScrubber, StageFailure, TestRun } from './test-run';

const SECRET = 'SHARED-pw/"q"\\ +&=é~x';

/** Every encoding the scrubber must catch, each made by the platform's own encoder. */
function encodings(secret: string): Record<string, string> {
  const bytes = Buffer.from(secret, 'utf8');
  const json = JSON.stringify(secret).slice(1, -1);
  return {
    raw: secret,
    base64: bytes.toString('base64'),
    base64Unpadded: bytes.toString('base64').replace(/=+$/, ''),
    base64Url: bytes.toString('base64url'),
    base64UrlPadded: bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
    uriComponent: encodeURIComponent(secret),
    uriComponentLower: encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    form: new URLSearchParams({ v: secret }).toString().slice(2),
    hex: bytes.toString('hex'),
    hexUpper: bytes.toString('hex').toUpperCase(),
    json,
    jsonAscii: json.replace(/é/g, '\\u00e9'),
    jsonSlash: json.replace(/\//g, '\\/'),
  };
}

describe('secretScrubber', () => {
  it('removes the secret in every encoding a target may echo it in', () => {
    const scrub = secretScrubber({ password: SECRET });
    for (const [name, form] of Object.entries(encodings(SECRET))) {
      assert.ok(secretForms(SECRET).includes(form), `${name} is one of the forms`);
      const scrubbed = scrub(`the target said: b64 ${form} (${name})`);
      assert.equal(scrubbed, `the target said: b64 *** (${name})`, name);
    }
  });

  it('removes the secret from inside a longer base64 encoding, whatever its byte offset', () => {
    const scrub = secretScrubber({ password: SECRET });
    const secretChars = Math.floor((Buffer.byteLength(SECRET) * 8) / 6);
    for (const prefix of ['', 'u', 'us', 'usr:', '\0user\0', 'alice:']) {
      for (const suffix of ['', '!', '"}']) {
        const encoded = Buffer.from(`${prefix}${SECRET}${suffix}`).toString('base64');
        for (const form of [encoded, Buffer.from(`${prefix}${SECRET}${suffix}`).toString('base64url')]) {
          const scrubbed = scrub(form);
          assert.equal(scrubbed.split('***').length, 2, `${JSON.stringify(prefix)}: ${scrubbed}`);
          // All but at most the characters shared with the neighbouring bytes are gone.
          assert.ok(form.length - (scrubbed.length - 3) >= secretChars - 1, `${JSON.stringify(prefix)}: ${scrubbed}`);
        }
      }
    }
  });

  it('removes the secret form- or URI-encoded inside base64, as an OAuth client Basic header carries it', () => {
    const scrub = secretScrubber({ clientSecret: SECRET });
    for (const encoded of [encodeURIComponent(SECRET), new URLSearchParams({ v: SECRET }).toString().slice(2)]) {
      for (const prefix of ['', 's', 'sp', 'sp:', 'client-1:']) {
        const header = Buffer.from(`${prefix}${encoded}`).toString('base64');
        const scrubbed = scrub(`Basic ${header}`);
        assert.ok(!Buffer.from(scrubbed.slice(6), 'base64').toString('latin1').includes(encoded), `${JSON.stringify(prefix)}: ${scrubbed}`);
        assert.match(scrubbed, /\*\*\*/);
      }
    }
  });

  it('removes a Basic header and its user:password given as their own values', () => {
    const basic = `alice:${SECRET}`;
    const header = `Basic ${Buffer.from(basic).toString('base64')}`;
    const scrub = secretScrubber({ password: SECRET, authorization: header, basic });
    assert.equal(scrub(`got ${header}`), 'got ***');
    assert.equal(scrub(`got ${Buffer.from(basic).toString('base64')}`), 'got ***');
    assert.equal(scrub(`got ${encodeURIComponent(basic)}`), 'got ***');
  });

  it('leaves secrets shorter than three characters, and their encodings, alone', () => {
    const scrub = secretScrubber({ pin: 'ab' });
    assert.equal(scrub('ab YWI= 6162 ab'), 'ab YWI= 6162 ab');
    assert.deepEqual(secretForms('ab'), []);
    // A short secret gets no base64 pieces from inside longer encodings: they would match by chance.
    assert.deepEqual(secretForms('abc').sort(), ['616263', 'YWJj', 'abc'].sort());
  });

  it('replaces the longest form first and still strips URL userinfo', () => {
    const scrub = secretScrubber({ a: 'secret-one', b: 'secret-one-longer' });
    assert.equal(scrub('x secret-one-longer y secret-one z'), 'x *** y *** z');
    assert.equal(scrub('postgresql://bob:other@host/db'), 'postgresql://***:***@host/db');
  });
});

describe('TestRun', () => {
  const scrub = secretScrubber({ password: SECRET });
  const b64 = Buffer.from(SECRET).toString('base64');

  it('scrubs the success message, the server version and string details', () => {
    const run = new TestRun('t', scrub);
    const result = run.succeed(`http://h/${b64} answered`, `srv ${encodeURIComponent(SECRET)}`, { url: `http://h/${b64}`, status: 200 });
    assert.equal(result.message, 'http://h/*** answered');
    assert.equal(result.serverVersion, 'srv ***');
    assert.deepEqual(result.details, { url: 'http://h/***', status: 200 });
  });

  it('scrubs stage errors, unexpected errors and their details', async () => {
    const run = new TestRun('t', scrub);
    await assert.rejects(
      run.stage(
        'auth',
        async () => {
          throw new Error('x');
        },
        () => ({ code: 'AUTH_FAILED', message: `refused ${b64}` }),
      ),
      StageFailure,
    );
    const failed = run.fail(new StageFailure({ code: 'AUTH_FAILED', message: 'refused ***' }), { reply: `535 ${b64}` });
    assert.equal(failed.stages[0].error?.message, 'refused ***');
    assert.deepEqual(failed.details, { reply: '535 ***' });
    assert.equal(new TestRun('t', scrub).fail(new Error(`boom ${SECRET}`)).message, 'boom ***');
  });
});
