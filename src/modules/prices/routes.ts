import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import type { PriceService } from './service.ts';
import { priceList, priceListQuery, priceSet, priceView } from './schemas.ts';

/** Model prices in the admin API (`agentctl prices set|list`); writes are audited (docs/adr/0061). */
export async function priceRoutes(app: ZodApp, deps: { prices: PriceService }) {
  const tags = ['prices'];
  app.get('/prices', { schema: { tags, summary: 'Model prices per million tokens, newest first per model', querystring: priceListQuery, response: { 200: priceList, ...problems(401) } } }, async (req) => ({
    items: await deps.prices.list({ provider: req.query.provider, model: req.query.model }),
  }));
  app.post(
    '/prices',
    {
      schema: {
        tags,
        summary: 'Set the price of a provider model from now (or a later moment) on',
        description: 'Adds a price row; runs started from `valid_from` on are priced with it, earlier runs keep their cost. Every price has the same currency.',
        body: priceSet,
        response: { 200: priceView, ...problems(400, 401, 409) },
      },
    },
    async (req) => deps.prices.set(req.body, actorOf(req)),
  );
}
