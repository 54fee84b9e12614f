/**
 * Losing a consumer process: one killed with SIGKILL and restarted, and one of three members of a group
 * killed so the others take over. Outcomes are counted two ways: the lines of every replica's own
 * outbox (a send repeated across the kill is a second line, as with SES or Twilio) and the `sent`
 * receipts on login-alerts.deliveries; and in the group's committed offsets. Every session is alerted;
 * a delivery is sent twice only when the killed process was sending it or had not yet recorded it
 * (at most SEND_SLOTS of them), and then once by the victim and once by a survivor. The two scenarios run
 * concurrently: each spends most of its time waiting out a session timeout (30 s) and a crashed
 * sender's delivery lease (60 s).
 */
import { SEND_SLOTS } from '../../src/notify/stages/context.js';
import {
  enroll,
  lagOf,
  midStream,
  type PipelineProc,
  plan,
  repeatsNotExplainedBy,
  scaled,
  scenarioKit,
  settle,
  trace,
  waitUntil,
} from '../support/reliability.js';

const N = scaled(2_000, 10_000);
const ACCOUNTS = scaled(400, 2_000);

const kit = scenarioKit();
afterAll(() => kit.cleanup());
const { setUp, start } = kit;

describe('losing a consumer process', () => {
  it.concurrent(`SIGKILL mid-stream, then a restart: each of ${N} sessions alerted, twice only across the kill, offsets committed to the end`, async () => {
    const { env, admin, producer, receipts } = await setUp();
    const { accounts, sessions } = plan(ACCOUNTS, N / ACCOUNTS);
    const first = await start('crash-1', env);
    await enroll(producer, env, accounts, env.REDIS_URL!, [first]);
    trace('crash: profiles applied');

    const alertedAtKill = await midStream(env, producer, sessions, () => first.kill());
    expect(first.alive()).toBe(false);
    trace(`crash: killed with ${alertedAtKill} alerted`);
    expect(alertedAtKill).toBeLessThan(N);

    const second = await start('crash-2', env);
    trace('crash: restarted');
    const verdict = await settle(admin, env, sessions, receipts, 180_000);
    trace(`crash: settled ${JSON.stringify(verdict)}`);
    process.stderr.write(`[dupsend] crash: ${verdict.outbox.duplicated} of ${N} emails sent twice\n`);
    // A send is repeated only if the kill caught it in one of the victim's send slots (under way,
    // or accepted with its record in flight).
    expect(verdict.outbox.duplicated).toBeLessThanOrEqual(SEND_SLOTS);

    // Exactly once where no process died; what the victim sent but had not settled is sent again.
    expect(verdict.outbox).toMatchObject({ missing: 0, unexpected: 0, distinct: N, corrupt: 0 });
    expect(verdict.receipts).toMatchObject({ missing: 0, unexpected: 0, distinct: N });
    expect(repeatsNotExplainedBy(env, 'crash-1', receipts)).toEqual([]);
    const offsets = await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!);
    expect(offsets).toEqual({ lag: 0, committed: N, end: N });
    expect(second.alive()).toBe(true);
  }, 240_000);

  it.concurrent(`three processes in one group, one killed: the other two take over, each of ${N} sessions alerted, twice only across the kill`, async () => {
    const { env, admin, producer, receipts } = await setUp();
    const { accounts, sessions } = plan(ACCOUNTS, N / ACCOUNTS);
    const members = await Promise.all([1, 2, 3].map((i) => start(`member-${i}`, env)));
    await waitUntil(
      'three members in the group',
      async () => (await admin.describeGroups([env.KAFKA_GROUP_ID!])).groups[0]?.members.length === 3,
      60_000,
    );
    await enroll(producer, env, accounts, env.REDIS_URL!, members);
    trace('rebalance: three members, profiles applied');

    const [victim, ...survivors] = members as [PipelineProc, ...PipelineProc[]];
    const alertedAtKill = await midStream(env, producer, sessions, () => victim.kill());
    trace(`rebalance: member-1 killed with ${alertedAtKill} alerted`);
    expect(alertedAtKill).toBeLessThan(N);

    const verdict = await settle(admin, env, sessions, receipts, 180_000);
    trace(`rebalance: settled ${JSON.stringify(verdict)}`);
    process.stderr.write(`[dupsend] rebalance: ${verdict.outbox.duplicated} of ${N} emails sent twice\n`);
    // A send is repeated only if the kill caught it in one of the victim's send slots (under way,
    // or accepted with its record in flight).
    expect(verdict.outbox.duplicated).toBeLessThanOrEqual(SEND_SLOTS);
    // Exactly once where no process died; what the victim sent but had not settled is sent again.
    expect(verdict.outbox).toMatchObject({ missing: 0, unexpected: 0, distinct: N, corrupt: 0 });
    expect(verdict.receipts).toMatchObject({ missing: 0, unexpected: 0, distinct: N });
    expect(repeatsNotExplainedBy(env, 'member-1', receipts)).toEqual([]);
    const offsets = await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!);
    expect(offsets).toEqual({ lag: 0, committed: N, end: N });
    // The survivors own every partition now.
    const group = (await admin.describeGroups([env.KAFKA_GROUP_ID!])).groups[0];
    expect(group?.members).toHaveLength(2);
    expect(survivors.every((s) => s.alive())).toBe(true);
  }, 240_000);
});
