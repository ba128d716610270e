/**
 * `npm run demo:waldur`: the fake Waldur as a local demo of the marketplace loop, without a real
 * Waldur. It serves Waldur's API on 127.0.0.1 (WALDUR_DEMO_PORT, default 8800), creates an offering
 * with the three usage components and two plans, subscribes a hooks-web hook to the platform
 * (PLATFORM_URL, default http://127.0.0.1:8000), prints the environment to start the platform with,
 * and then takes commands on standard input:
 *
 *   order [small|large]   a customer orders the agent (Waldur posts the hook; the platform approves,
 *                         creates the access, sets the backend id and marks the order done)
 *   update <resource>     switch a resource to the large plan
 *   terminate <resource>  end a resource (final usage is reported first)
 *   show                  orders, resources and the usage Waldur has stored
 *   quit
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { FakeWaldur } from './waldur.ts';

const port = Number(process.env.WALDUR_DEMO_PORT ?? 8800);
const platform = (process.env.PLATFORM_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
const secret = process.env.WALDUR_WEBHOOK_SECRET ?? randomBytes(24).toString('hex');

const fake = new FakeWaldur({ token: process.env.WALDUR_DEMO_TOKEN ?? `demo-${randomBytes(12).toString('hex')}` });
await fake.listen(port);
const offering = fake.createOffering({
  name: 'Helpdesk agent',
  components: [
    { type: 'requests', name: 'Requests', measured_unit: 'requests' },
    { type: 'input_tokens', name: 'Input tokens', measured_unit: 'tokens' },
    { type: 'output_tokens', name: 'Output tokens', measured_unit: 'tokens' },
  ],
  plans: [{ name: 'Small' }, { name: 'Large' }],
});
const [small, large] = offering.planUuids as [string, string];
fake.addHook({
  destinationUrl: `${platform}/webhooks/waldur/order/?token=${secret}`,
  eventTypes: ['marketplace_order_created', 'marketplace_order_approved', 'marketplace_order_rejected', 'marketplace_order_completed', 'marketplace_order_terminated', 'marketplace_order_failed'],
});

console.log(`fake Waldur on ${fake.url}

1. start the platform with:
   WALDUR_URL=${fake.url} WALDUR_TOKEN=${fake.token} WALDUR_WEBHOOK_SECRET=${secret} npm start

2. map the offering to the demo agent:
   agentctl offerings map --offering ${offering.uuid} --agent helpdesk --plan ${small} --quota 100
   agentctl offerings plan --offering ${offering.uuid} --plan ${large} --quota 10000 --rate-limit 600

3. type "order" here; then: agentctl marketplace orders, agentctl access list, agentctl usage sync, "show"
`);

let n = 0;
const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'waldur> ' });
rl.prompt();
rl.on('line', (line) => {
  void (async () => {
    const [cmd, arg] = line.trim().split(/\s+/);
    try {
      if (cmd === 'order') {
        n++;
        const uuid = fake.createOrder({
          offeringUuid: offering.uuid,
          planUuid: arg === 'large' ? large : small,
          customer: { name: `Customer ${n}` },
          project: { name: `Project ${n}` },
          createdBy: { username: `user${n}@example.com` },
        });
        await fake.settle();
        console.log(`order ${uuid} created; Waldur posted the hook`);
      } else if (cmd === 'update' || cmd === 'terminate') {
        if (!arg) throw new Error(`${cmd} <resource uuid>`);
        const uuid = fake.createOrder({ offeringUuid: offering.uuid, type: cmd === 'update' ? 'Update' : 'Terminate', resourceUuid: arg, ...(cmd === 'update' ? { planUuid: large } : {}) });
        await fake.settle();
        console.log(`${cmd} order ${uuid} created; Waldur posted the hook`);
      } else if (cmd === 'show') {
        for (const h of fake.hookDeliveries.slice(-5)) console.log(`hook ${h.eventType} → ${h.status ?? h.error}`);
        for (const u of fake.usages()) console.log(`usage ${u.resourceUuid} ${u.billingPeriod} ${u.type} = ${u.usage}`);
        for (const r of fake.requests.filter((x) => x.method === 'POST').slice(-10)) console.log(`POST ${r.path}`);
      } else if (cmd === 'quit' || cmd === 'exit') {
        rl.close();
        return;
      } else if (cmd) console.log('commands: order [small|large], update <resource>, terminate <resource>, show, quit');
    } catch (e) {
      console.log(`error: ${(e as Error).message}`);
    }
    rl.prompt();
  })();
});
rl.on('close', () => {
  void fake.close().then(() => process.exit(0));
});
