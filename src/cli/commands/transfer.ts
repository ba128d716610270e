import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, globals } from '../client.ts';
import { assertDataDirFree, cliConfig } from '../direct.ts';
import { emit } from '../output.ts';
import { cliActor, confirm, progressLine } from './backup.ts';

/**
 * agentctl export / import: move a whole installation to another database, e.g. an embedded one
 * to PostgreSQL: `agentctl export` next to the stopped embedded instance, then `agentctl import
 * FILE` with DATABASE_URL (an empty database) and the SAME SECRETS_KEY (the content of the embedded
 * DATA_DIR/secrets-key), then start the cluster.
 */
export function registerTransfer(program: Command): void {
  program
    .command('export')
    .description('write the whole installation as a portable logical dump (gzip JSON lines with counts and hashes); embedded: the server must be stopped')
    .option('--output <file>', 'where to write it (default: BACKUP_DIR/agent-platform-export-<time>.jsonl.gz)')
    .action(async (o: { output?: string }, cmd: Command) => {
      const config = cliConfig();
      assertDataDirFree(config, 'export');
      if (config.mode === 'embedded' && !existsSync(join(config.dataDir, 'pgdata'))) throw new CliError(`no embedded database in ${config.dataDir}`, { exitCode: 2 });
      const [{ backupDir, readMasterKey }, { exportInstallation }, { createDatabase }, { AuditService }, { systemClock }] = await Promise.all([
        import('../../modules/ops/backup.ts'),
        import('../../modules/ops/transfer.ts'),
        import('../../db/client.ts'),
        import('../../modules/audit/service.ts'),
        import('../../lib/clock.ts'),
      ]);
      const master = readMasterKey(config);
      if (!master) throw new CliError('no SECRETS_KEY and no DATA_DIR/secrets-key: nothing to export', { exitCode: 2 });
      const file = resolve(o.output ?? join(backupDir(config), `agent-platform-export-${new Date().toISOString().replace(/[-:.]/g, '')}.jsonl.gz`));
      mkdirSync(dirname(file), { recursive: true });
      const database = await createDatabase(config, { poolSize: 2 });
      try {
        const t0 = performance.now();
        const h = await exportInstallation({ config, database, master, file, audit: new AuditService({ db: database.db, clock: systemClock }), ctx: cliActor(), progress: progressLine('export') });
        const rows = h.tables.reduce((n, t) => n + t.rows, 0);
        const out = { file, tables: h.tables.length, rows, migrations: h.migrations.applied, key_fingerprint: h.key_fingerprint, ms: Math.round(performance.now() - t0) };
        emit(globals(cmd).json, out, () => {
          console.log(file);
          console.error(`exported ${rows} rows of ${h.tables.length} tables (${h.migrations.applied} migrations) in ${out.ms} ms`);
          console.error('import it with the SAME SECRETS_KEY' + (config.mode === 'embedded' ? ` (the content of ${join(config.dataDir, 'secrets-key')})` : ''));
        });
      } finally {
        await database.close();
      }
    });

  program
    .command('import <file>')
    .description('load an export into this installation\'s database (DATABASE_URL), which must be empty: migrates it, imports in one transaction, checks every table')
    .option('--yes', 'do not ask for confirmation')
    .action(async (file: string, o: { yes?: boolean }, cmd: Command) => {
      const config = cliConfig();
      assertDataDirFree(config, 'import');
      const path = resolve(file);
      if (!existsSync(path)) throw new CliError(`no such file ${path}`, { exitCode: 2 });
      const [{ readMasterKey }, { importInstallation, readExportHeader }, { createDatabase }, { runMigrations }, { AuditService }, { systemClock }, { redactDbUrl }] = await Promise.all([
        import('../../modules/ops/backup.ts'),
        import('../../modules/ops/transfer.ts'),
        import('../../db/client.ts'),
        import('../../db/migrate.ts'),
        import('../../modules/audit/service.ts'),
        import('../../lib/clock.ts'),
        import('../../modules/ops/pgtools.ts'),
      ]);
      const header = await readExportHeader(path).catch((err: Error) => {
        throw new CliError(err.message, { exitCode: 2 });
      });
      const master = readMasterKey(config);
      if (!master) throw new CliError('set SECRETS_KEY to the exported installation\'s key (embedded: the content of its DATA_DIR/secrets-key)', { exitCode: 2 });
      const target = config.DATABASE_URL ? `PostgreSQL ${redactDbUrl(config.DATABASE_URL)}` : `embedded database ${join(config.dataDir, 'pgdata')}`;
      const rows = header.tables.reduce((n, t) => n + t.rows, 0);
      console.error(`import ${rows} rows of ${header.tables.length} tables (exported ${header.created_at} from the ${header.source.shape} installation, platform ${header.version}) into the ${target}`);
      await confirm(o.yes, `this writes the installation into the ${target}, which must be empty`, 'import');
      const database = await createDatabase(config, { poolSize: 2 });
      try {
        const progress = progressLine('import');
        const applied = await runMigrations(database);
        if (applied > 0) progress(`applied ${applied} migration(s) to the target`);
        let r;
        try {
          r = await importInstallation({ database, master, file: path, audit: new AuditService({ db: database.db, clock: systemClock }), ctx: cliActor(), progress });
        } catch (err) {
          throw new CliError(`import refused: ${(err as Error).message}`);
        }
        const out = { imported: r.rows, tables: Object.keys(r.tables).length, target, ms: r.ms };
        emit(globals(cmd).json, out, () => {
          console.log(`imported ${r.rows} rows into ${Object.keys(r.tables).length} tables of the ${target}; every table's count and content hash matches the export (${r.ms} ms)`);
          console.error('start the platform on this database with the same SECRETS_KEY; agentctl doctor checks it');
        });
      } finally {
        await database.close();
      }
    });
}
