import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DRIVERS, startTestApp, TestApp } from '../support/test-app';

for (const driver of DRIVERS) {
  describe(`smoke (${driver})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(driver)));
    after(() => t.close());

    it('answers health and logs in the admin', async () => {
      assert.equal((await t.call('GET', '/api/v1/health/ready')).status, 200);
      const tokens = await t.login();
      const me = await t.call('GET', '/api/v1/auth/me', { token: tokens.accessToken });
      assert.equal(me.status, 200);
      assert.equal(me.body.memberships[0].slug, 'default');
    });
  });
}
