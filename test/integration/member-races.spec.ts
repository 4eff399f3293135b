import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { createUser, DRIVERS, expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';

const API = '/api/v1';
const ROUNDS = 20;

type User = Awaited<ReturnType<typeof createUser>>;

/**
 * Membership changes that race each other (issue 13): whatever the interleaving, a project keeps
 * an owner, and a change decided on a role that changed meanwhile is not applied (compare-and-set).
 * Each round fires its requests at once; the invariants are checked on the replies and on what
 * was stored, so a lost race is an answer (409 CONFLICT, or 403 once the caller lost the role),
 * never a 500 nor a silent overwrite.
 */
for (const driver of DRIVERS) {
  describe(`members: concurrent changes (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let alice: User;
    let bob: User;
    let padmin: User;

    const put = (token: string, userId: string, role: string) =>
      t.call('PUT', `${API}/projects/race/members/${userId}`, { token, body: { role } });
    const remove = (token: string, userId: string) => t.call('DELETE', `${API}/projects/race/members/${userId}`, { token });

    async function members(): Promise<Record<string, string>> {
      const reply = await t.call('GET', `${API}/projects/race/members?perPage=100`, { token: admin });
      assert.equal(reply.status, 200, reply.text);
      return Object.fromEntries(reply.body.data.map((member: { userId: string; role: string }) => [member.userId, member.role]));
    }

    async function setRole(userId: string, role: string): Promise<void> {
      const reply = await put(admin, userId, role);
      assert.equal(reply.status, 200, reply.text);
    }

    const deleteUser = (userId: string) => t.call('DELETE', `${API}/users/${userId}`, { token: admin });

    /**
     * PostgreSQL: another session holds the rows `lock` selects ($1: the project's id, then
     * `parameters`) while `start` sends requests, waiting after each with `blocked(count, reply)`
     * until `count` statements wait on a lock (or `reply` is answered: it did not wait). Then it
     * lets go, and the replies are awaited.
     */
    async function holding(
      lock: string,
      parameters: string[],
      start: (blocked: (count: number, reply?: Promise<Reply>) => Promise<void>) => Promise<Promise<Reply>[]>,
    ): Promise<Reply[]> {
      const { database } = t.config;
      assert.equal(database.driver, 'postgres');
      const project = (await t.call('GET', `${API}/projects/race`, { token: admin })).body.id as string;
      const blocker = new Client({ connectionString: database.url });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query(lock, [project, ...parameters]);
        const waiting = async () =>
          (
            await blocker.query(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
          ).rows[0].n as number;
        const blocked = async (count: number, reply?: Promise<Reply>) => {
          let answered = false;
          const done = () => (answered = true);
          reply?.then(done, done);
          for (let poll = 0; poll < 250 && !answered && (await waiting()) < count; poll++) await sleep(20);
        };
        const replies = await start(blocked);
        await blocker.query('COMMIT');
        return await Promise.all(replies);
      } finally {
        await blocker.end();
      }
    }

    /**
     * A lost race: 409 CONFLICT; or, when the winner had already demoted or removed the caller
     * before its request was authorised, 403 FORBIDDEN or 404 NOT_FOUND (no longer a member).
     */
    function expectLost(reply: Reply, context: string): void {
      if (reply.status === 403) return expectProblem(reply, 403, 'FORBIDDEN');
      if (reply.status === 404) return expectProblem(reply, 404, 'NOT_FOUND');
      assert.equal(reply.status, 409, `${context}: ${reply.status} ${reply.text}`);
      expectProblem(reply, 409, 'CONFLICT');
    }

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      alice = await createUser(t, admin, 'alice');
      bob = await createUser(t, admin, 'bob');
      padmin = await createUser(t, admin, 'padmin');
      const created = await t.call('POST', `${API}/projects`, { token: alice.token, body: { slug: 'race', name: 'Race' } });
      assert.equal(created.status, 201, created.text);
      await setRole(padmin.id, 'admin');
    });
    after(() => t.close());

    it('two owners demoting or removing each other at once never leave the project without an owner', async () => {
      const moves = [
        { name: 'demote each other', alice: () => put(alice.token, bob.id, 'admin'), bob: () => put(bob.token, alice.id, 'admin') },
        { name: 'remove each other', alice: () => remove(alice.token, bob.id), bob: () => remove(bob.token, alice.id) },
        { name: 'demote and remove', alice: () => put(alice.token, bob.id, 'viewer'), bob: () => remove(bob.token, alice.id) },
      ];
      for (let round = 0; round < ROUNDS; round++) {
        const move = moves[round % moves.length]!;
        await setRole(alice.id, 'owner');
        await setRole(bob.id, 'owner');
        const [byAlice, byBob] = await Promise.all([move.alice(), move.bob()]);
        const context = `round ${round} (${move.name}): alice ${byAlice.status}, bob ${byBob.status}`;

        const after = await members();
        const owners = [alice.id, bob.id].filter((id) => after[id] === 'owner');
        assert.equal(owners.length, 1, `${context}: owners left ${JSON.stringify(after)}`);
        // Exactly one of them won, and what is stored is what the winner asked for.
        const aliceWon = byAlice.status < 300;
        const bobWon = byBob.status < 300;
        assert.ok(aliceWon !== bobWon, context);
        expectLost(aliceWon ? byBob : byAlice, context);
        assert.deepEqual(owners, [aliceWon ? alice.id : bob.id], context);
        const loser = aliceWon ? bob.id : alice.id;
        const asked = round % moves.length === 0 ? 'admin' : aliceWon && move.name === 'demote and remove' ? 'viewer' : undefined;
        assert.equal(after[loser], asked, context);
        if (!after[loser]) await setRole(loser, 'viewer');
      }
    });

    if (driver === 'postgres') {
      it('two owners demoting each other with their statements overlapping exactly still leave one owner', async () => {
        // Another session holds Bob's membership row, so Alice's demotion of Bob waits in the
        // middle of its write while Bob demotes Alice: each write checking "another owner stays"
        // on its own would see the other still owner, and both would pass.
        await setRole(alice.id, 'owner');
        await setRole(bob.id, 'owner');
        const replies = await holding(
          'SELECT 1 FROM memberships WHERE project_id = $1 AND user_id = $2 FOR UPDATE',
          [bob.id],
          async (blocked) => {
            const byAlice = put(alice.token, bob.id, 'admin');
            await blocked(1);
            const byBob = put(bob.token, alice.id, 'admin');
            await blocked(2, byBob);
            return [byAlice, byBob];
          },
        );
        const context = `alice ${replies[0]!.status}, bob ${replies[1]!.status} ${replies[1]!.text}`;
        const after = await members();
        assert.ok([after[alice.id], after[bob.id]].includes('owner'), `${context}: no owner left ${JSON.stringify(after)}`);
        assert.equal(replies[0]!.status, 200, context);
        expectLost(replies[1]!, context);
        assert.deepEqual([after[alice.id], after[bob.id]], ['owner', 'admin'], context);
      });
    }

    it("an admin racing an owner's promotion never demotes the new owner", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        await setRole(alice.id, 'owner');
        await setRole(bob.id, 'admin');
        const [promoted, demoted] = await Promise.all([put(alice.token, bob.id, 'owner'), put(padmin.token, bob.id, 'viewer')]);
        const context = `round ${round}: owner ${promoted.status}, admin ${demoted.status} ${demoted.text}`;
        // The owner may always promote; the admin's change applies only if it came first.
        assert.equal(promoted.status, 200, context);
        if (demoted.status !== 200) expectLost(demoted, context);
        assert.equal((await members())[bob.id], 'owner', context);
      }
    });

    it('two PUTs adding the same new member at once: both answered, never a 500, and an owner added by one is not demoted by the other', async () => {
      await setRole(alice.id, 'owner');
      const newcomer = await createUser(t, admin, 'newcomer');
      for (let round = 0; round < ROUNDS; round++) {
        const [byOwner, byAdmin] = await Promise.all([put(alice.token, newcomer.id, 'owner'), put(padmin.token, newcomer.id, 'editor')]);
        const context = `round ${round}: owner ${byOwner.status}, admin ${byAdmin.status} ${byAdmin.text}`;
        assert.equal(byOwner.status, 200, context);
        if (byAdmin.status !== 200) expectLost(byAdmin, context);
        assert.equal((await members())[newcomer.id], 'owner', context);
        assert.equal((await remove(admin, newcomer.id)).status, 204);
      }
    });

    it('a PUT racing a DELETE of the same member: each answered as it happened, never a 500', async () => {
      await setRole(alice.id, 'owner');
      for (let round = 0; round < ROUNDS; round++) {
        await setRole(bob.id, 'viewer');
        const [changed, removed] = await Promise.all([put(alice.token, bob.id, 'editor'), remove(alice.token, bob.id)]);
        const context = `round ${round}: put ${changed.status} ${changed.text}, delete ${removed.status} ${removed.text}`;
        assert.ok([200, 409].includes(changed.status), context);
        if (changed.status === 200) assert.equal(changed.body.role, 'editor', context);
        if (changed.status === 409) expectProblem(changed, 409, 'CONFLICT');
        if (removed.status !== 204) expectProblem(removed, 404, 'NOT_FOUND');
        const stored = (await members())[bob.id];
        // Both applied (in either order), or one of them only.
        if (changed.status === 200 && removed.status === 204) assert.ok(stored === undefined || stored === 'editor', context);
        else if (changed.status === 200) assert.equal(stored, 'editor', context);
        else assert.equal(stored, undefined, context);
        if (stored === undefined) await setRole(bob.id, 'viewer');
      }
    });

    it('deleting a co-owner while the other owner steps down never leaves the project without an owner', async () => {
      const stepDown = [
        { name: 'demotes herself', alice: () => put(alice.token, alice.id, 'admin') },
        { name: 'removes herself', alice: () => remove(alice.token, alice.id) },
      ];
      await setRole(bob.id, 'viewer');
      for (let round = 0; round < ROUNDS; round++) {
        const move = stepDown[round % stepDown.length]!;
        await setRole(alice.id, 'owner');
        const carol = await createUser(t, admin, `carol-${round}`);
        await setRole(carol.id, 'owner');
        // The deletion starts 0-3 ms after Alice's move, so each gets to go first in some rounds.
        const [byAlice, deleted] = await Promise.all([move.alice(), sleep(round % 4).then(() => deleteUser(carol.id))]);
        const context = `round ${round} (alice ${move.name}): delete ${deleted.status} ${deleted.text}, alice ${byAlice.status} ${byAlice.text}`;

        const after = await members();
        const owners = Object.keys(after).filter((id) => after[id] === 'owner');
        assert.equal(owners.length, 1, `${context}: owners left ${JSON.stringify(after)}`);
        // One of them won; the other was refused for the owner it would have taken away.
        if (deleted.status === 204) {
          expectLost(byAlice, context);
          assert.deepEqual(owners, [alice.id], context);
        } else {
          expectProblem(deleted, 409, 'CONFLICT');
          assert.match(deleted.body.detail, /last owner of "race"/, context);
          assert.ok(byAlice.status < 300, context);
          assert.deepEqual(owners, [carol.id], context);
          await setRole(alice.id, 'owner');
          assert.equal((await deleteUser(carol.id)).status, 204, context);
        }
      }
    });

    it('a PUT adding a user racing the deletion of that user: 200 or 404, never a 500', async () => {
      await setRole(alice.id, 'owner');
      for (let round = 0; round < ROUNDS; round++) {
        const dave = await createUser(t, admin, `dave-${round}`);
        const [added, deleted] = await Promise.all([put(alice.token, dave.id, 'editor'), sleep(round % 4).then(() => deleteUser(dave.id))]);
        const context = `round ${round}: put ${added.status} ${added.text}, delete ${deleted.status} ${deleted.text}`;
        assert.equal(deleted.status, 204, context);
        if (added.status !== 200) expectProblem(added, 404, 'NOT_FOUND');
        assert.equal((await members())[dave.id], undefined, context);
      }
    });

    if (driver === 'postgres') {
      it('deleting a co-owner while the other demotes herself, statements overlapping exactly, still leaves an owner', async () => {
        // Another session holds Alice's membership row, so her demotion waits in the middle of its
        // write while the admin deletes Carol: a deletion checking "another owner stays" on its own
        // would see Alice still owner, and both would pass.
        await setRole(alice.id, 'owner');
        const carol = await createUser(t, admin, 'carol-overlapping');
        await setRole(carol.id, 'owner');
        const replies = await holding(
          'SELECT 1 FROM memberships WHERE project_id = $1 AND user_id = $2 FOR UPDATE',
          [alice.id],
          async (blocked) => {
            const byAlice = put(alice.token, alice.id, 'admin');
            await blocked(1);
            const deleted = deleteUser(carol.id);
            await blocked(2, deleted);
            return [byAlice, deleted];
          },
        );
        const context = `alice ${replies[0]!.status}, delete ${replies[1]!.status} ${replies[1]!.text}`;
        const after = await members();
        assert.deepEqual([after[alice.id], after[carol.id]], ['admin', 'owner'], context);
        assert.equal(replies[0]!.status, 200, context);
        expectProblem(replies[1]!, 409, 'CONFLICT');
        await setRole(alice.id, 'owner');
        assert.equal((await deleteUser(carol.id)).status, 204);
      });

      it('a PUT adding a user whose deletion overtakes it answers 200 or 404, never a 500', async () => {
        // Another session holds the project row, so the PUT waits after it found the user while the
        // admin deletes them: an insert after the deletion meets a foreign key to a deleted user.
        await setRole(alice.id, 'owner');
        const erin = await createUser(t, admin, 'erin-overlapping');
        const replies = await holding('SELECT 1 FROM projects WHERE id = $1 FOR NO KEY UPDATE', [], async (blocked) => {
          const added = put(alice.token, erin.id, 'editor');
          await blocked(1);
          const deleted = deleteUser(erin.id);
          await blocked(2, deleted);
          return [added, deleted];
        });
        const context = `put ${replies[0]!.status} ${replies[0]!.text}, delete ${replies[1]!.status} ${replies[1]!.text}`;
        assert.equal(replies[1]!.status, 204, context);
        if (replies[0]!.status !== 200) expectProblem(replies[0]!, 404, 'NOT_FOUND');
        assert.equal((await members())[erin.id], undefined, context);
        expectProblem(await t.call('GET', `${API}/users/${erin.id}`, { token: admin }), 404, 'NOT_FOUND');
      });
    }
  });
}
