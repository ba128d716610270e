import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { manualClock } from '../src/lib/clock.ts';
import { createWorld, type World } from './helpers/marketplace-world.ts';

const DAY = 86_400_000;

/**
 * The webhook receiver itself during a secret rotation: deliveries made with either secret are
 * accepted within the overlap window (tokens and relay signatures), and only the new one after it.
 */
describe('webhook secret rotation through the real receiver', () => {
  const clock = manualClock(new Date('2026-05-04T08:00:00Z'));
  let w: World;
  before(async () => {
    w = await createWorld({ clock, work: false });
  });
  after(() => w.close());

  const order = 'b'.repeat(32);
  const body = JSON.stringify({ created: '2026-05-04T08:00:00Z', message: 'm', event_type: 'marketplace_order_created', context: { order_uuid: order } });
  const byToken = async (secret: string) =>
    (await w.t.app.inject({ method: 'POST', url: `/webhooks/waldur/order/?token=${secret}`, headers: { 'content-type': 'application/json' }, payload: body })).json();
  const bySignature = async (secret: string) => {
    const ts = String(Math.floor(clock.now().getTime() / 1000));
    const res = await w.t.app.inject({
      method: 'POST',
      url: '/webhooks/waldur/order/',
      headers: { 'content-type': 'application/json', 'x-webhook-timestamp': ts, 'x-webhook-signature': `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}` },
      payload: body,
    });
    const json: { delivery_id?: string; code?: string } = res.json();
    return { ...json, http: res.statusCode };
  };
  const verification = async (deliveryId: unknown) => (await w.t.deps.services.webhooks.get(String(deliveryId))).verification;

  test('accepted with either secret during the overlap, only the new one after it', async () => {
    const OLD = w.secret;
    assert.equal(await verification((await byToken(OLD)).delivery_id), 'token');

    const res = await w.t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/webhook/rotate', headers: w.t.admin, payload: { overlap: '24h' } });
    assert.equal(res.statusCode, 200, res.body);
    const NEW: string = res.json().secret;
    assert.ok(NEW && NEW !== OLD);

    assert.equal(await verification((await byToken(NEW)).delivery_id), 'token');
    assert.equal(await verification((await byToken(OLD)).delivery_id), 'token_previous');
    assert.equal((await bySignature(NEW)).http, 202);
    const oldSig = await bySignature(OLD);
    assert.equal(oldSig.http, 202);
    assert.equal(await verification(oldSig.delivery_id), 'signature_previous');

    clock.advance(DAY + 1000);
    const late = await byToken(OLD);
    assert.equal(late.code, 'webhook_unverified');
    assert.equal((await bySignature(OLD)).http, 401);
    assert.equal(await verification((await byToken(NEW)).delivery_id), 'token');
    assert.equal((await bySignature(NEW)).http, 202);
  });
});
