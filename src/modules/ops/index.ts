import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { Db } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { AgentService } from '../agents/service.ts';
import type { AuditService } from '../audit/service.ts';
import type { Peppers } from '../keys/peppers.ts';
import type { KeyVerifier } from '../keys/verifier.ts';
import type { SecretStore } from '../secrets/store.ts';
import { SessionService } from '../sessions/service.ts';
import { CacheWarmer } from './cache.ts';
import { MaintenanceService } from './maintenance.ts';
import { SecretAdmin } from './secrets.ts';

/**
 * The operations services (docs/RUNBOOK.md): maintenance mode, secret rotation, portal sessions
 * and cache warm-up. Backups, export/import and the doctor are functions over the whole `Deps`
 * (src/modules/ops/backup.ts, transfer.ts, doctor.ts) because they look at everything.
 */
export interface OpsServices {
  maintenance: MaintenanceService;
  secretAdmin: SecretAdmin;
  sessions: SessionService;
  cache: CacheWarmer;
  /** Starts listeners and timers; call once the event bus runs. */
  start(): Promise<void>;
  stop(): void;
}

export function createOps(d: {
  config: Config;
  db: Db;
  clock: Clock;
  events: EventBus;
  metrics: Metrics;
  logger: Logger;
  audit: AuditService;
  agents: AgentService;
  verifier: KeyVerifier;
  secrets: SecretStore;
  peppers: Peppers;
}): OpsServices {
  const maintenance = new MaintenanceService({ db: d.db, clock: d.clock, events: d.events, audit: d.audit, metrics: d.metrics, logger: d.logger });
  const secretAdmin = new SecretAdmin({ db: d.db, config: d.config, store: d.secrets, peppers: d.peppers, audit: d.audit });
  const sessions = new SessionService({ db: d.db, audit: d.audit, events: d.events });
  const cache = new CacheWarmer({
    db: d.db,
    clock: d.clock,
    events: d.events,
    audit: d.audit,
    agents: d.agents,
    verifier: d.verifier,
    logger: d.logger,
    maxKeys: d.config.KEY_CACHE_TTL_MS > 0 ? d.config.KEY_CACHE_MAX : 0,
  });
  return {
    maintenance,
    secretAdmin,
    sessions,
    cache,
    start: async () => {
      await d.peppers.attach(d.secrets, d.events, d.logger);
      await maintenance.start();
      cache.start();
    },
    stop: () => {
      cache.stop();
      maintenance.stop();
      d.peppers.detach();
    },
  };
}
