import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../lib/errors.ts';

/** Where `npm run build:portal` (run by npm ci and npm start when needed) writes the portal. */
export const PORTAL_DIST = join(import.meta.dirname, '..', '..', '..', '..', 'portal', 'dist');

/** The portal's own pages (client-side routes): each answers with index.html. */
export const SPA_ROUTES = ['/', '/login', '/login/*', '/accesses', '/accesses/*', '/help', '/operator', '/operator/*'];

/**
 * Serves the built single-page portal at `/` (docs/adr/0036): hashed files under /assets are
 * cached for a year, index.html never, and each client-side route answers with index.html. Every
 * other path keeps its meaning (API prefixes are unchanged; unknown paths are still 404 problems).
 */
export async function portalStaticRoutes(app: FastifyInstance, dist = PORTAL_DIST) {
  const built = existsSync(join(dist, 'index.html'));
  const page = async (_req: FastifyRequest, reply: FastifyReply) => {
    if (!built) throw new AppError('portal_not_built', `no portal build in ${dist}; run npm run build:portal`);
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', dist);
  };
  for (const url of SPA_ROUTES) app.get(url, { schema: { hide: true } }, page);
  if (!built) return;
  await app.register(fastifyStatic, {
    root: dist,
    prefix: '/',
    index: false,
    wildcard: false,
    // Only what the build produced: hashed assets and a few top-level files.
    allowedPath: (path) => /^\/?(index\.html|assets\/[\w.-]+|[\w.-]+\.(svg|ico|png|txt|webmanifest))$/.test(path),
    setHeaders: (res, path) => {
      res.header('cache-control', path.includes(`${join('/', 'assets')}/`) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
    },
  });
}
