import type { Command } from 'commander';
import { createWriteStream, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { ApiClient, CliError, globals } from '../client.ts';
import { emit, printTable } from '../output.ts';
import { intArg } from '../parse.ts';

export function registerAudit(program: Command): void {
  const a = program.command('audit').description('the audit log: who did what, when, from where');
  a.command('list')
    .description('list audit events, newest first')
    .option('--since <when>', 'a duration (24h, 7d) or an ISO time', '24h')
    .option('--actor <actor>', 'only this actor (e.g. admin:local-cli)')
    .option('--action <action>', 'only this action (prefix with *, e.g. agent.*)')
    .option('--tenant <uuid>', 'only this tenant')
    .option('--limit <n>', 'at most this many', intArg, 100)
    .action(async (o: { since: string; actor?: string; action?: string; tenant?: string; limit: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const query = { since: o.since, limit: o.limit, ...(o.actor ? { actor: o.actor } : {}), ...(o.action ? { action: o.action } : {}), ...(o.tenant ? { tenant: o.tenant } : {}) };
      const res = await c.call(c.api.GET('/admin/api/v1/audit', { params: { query } }));
      emit(globals(cmd).json, res, () => printTable(res.items, ['at', 'actor', 'action', 'target_type', 'target_id', 'ip', 'details']));
    });
  a.command('export')
    .description('write audit events, oldest first, as JSON lines (streamed; to stdout or --output)')
    .option('--since <when>', 'a duration (24h, 7d) or an ISO time (default: from the first event)')
    .option('--until <when>', 'a duration or an ISO time (default: now)')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async (o: { since?: string; until?: string; output?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const query = { ...(o.since ? { since: o.since } : {}), ...(o.until ? { until: o.until } : {}) };
      const res = await c.api.GET('/admin/api/v1/audit/export', { params: { query }, parseAs: 'stream', headers: { accept: 'application/x-ndjson' } }).catch((err: unknown) => {
        throw c.unreachable(err);
      });
      if (!res.response.ok) throw c.problemError(res.response.status, res.error);
      const n = await streamTo(res.data ?? res.response.body, o.output);
      if (o.output) console.error(`exported ${n} audit event(s) to ${o.output}`);
    });
  a.command('prune')
    .description('delete audit events older than a duration (at least 1d); the prune itself is audited')
    .requiredOption('--older-than <duration>', 'e.g. 90d')
    .action(async (o: { olderThan: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/audit/prune', { body: { older_than: o.olderThan } }), { fields: { older_than: '--older-than' } });
      emit(globals(cmd).json, r, () => console.log(`deleted ${r.deleted} audit event(s) older than ${r.before}`));
    });
}

/**
 * Streams an NDJSON answer of the admin API to a file (written to `<file>.partial`, renamed when
 * complete) or to stdout, without holding it in memory. Returns the number of lines.
 */
async function streamTo(body: ReadableStream<Uint8Array> | null, output: string | undefined): Promise<number> {
  if (!body) throw new CliError('the export answered without a body');
  const { rename } = await import('node:fs/promises');
  const partial = output ? `${output}.partial` : undefined;
  const sink = partial ? createWriteStream(partial) : process.stdout;
  let lines = 0;
  try {
    await body.pipeTo(
      Writable.toWeb(
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            for (const b of chunk) if (b === 10) lines++;
            if (sink.write(chunk)) cb();
            else sink.once('drain', () => cb());
          },
        }),
      ),
    );
    if (partial) {
      await new Promise<void>((resolve, reject) => (sink as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
      await rename(partial, output!);
    }
  } catch (err) {
    if (partial) rmSync(partial, { force: true });
    throw new CliError(`the export was interrupted (${(err as Error).message}); nothing complete was written`);
  }
  return lines;
}
