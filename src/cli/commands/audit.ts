import type { Command } from 'commander';
import { createWriteStream, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { ADMIN_PREFIX, ApiClient, CliError, resolveTarget, type GlobalOptions, type Problem, globals } from '../client.ts';
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
      const q = new URLSearchParams({ since: o.since, limit: String(o.limit) });
      if (o.actor) q.set('actor', o.actor);
      if (o.action) q.set('action', o.action);
      if (o.tenant) q.set('tenant', o.tenant);
      const res = await new ApiClient(globals(cmd)).get<{ items: Record<string, unknown>[] }>(`/audit?${q}`);
      emit(globals(cmd).json, res, () => printTable(res.items, ['at', 'actor', 'action', 'target_type', 'target_id', 'ip', 'details']));
    });
  a.command('export')
    .description('write audit events, oldest first, as JSON lines (streamed; to stdout or --output)')
    .option('--since <when>', 'a duration (24h, 7d) or an ISO time (default: from the first event)')
    .option('--until <when>', 'a duration or an ISO time (default: now)')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async (o: { since?: string; until?: string; output?: string }, cmd: Command) => {
      const q = new URLSearchParams();
      if (o.since) q.set('since', o.since);
      if (o.until) q.set('until', o.until);
      const n = await streamTo(globals(cmd), `/audit/export${q.size > 0 ? `?${q}` : ''}`, o.output);
      if (o.output) console.error(`exported ${n} audit event(s) to ${o.output}`);
    });
  a.command('prune')
    .description('delete audit events older than a duration (at least 1d); the prune itself is audited')
    .requiredOption('--older-than <duration>', 'e.g. 90d')
    .action(async (o: { olderThan: string }, cmd: Command) => {
      const r = await new ApiClient(globals(cmd)).post<{ deleted: number; before: string }>('/audit/prune', { older_than: o.olderThan });
      emit(globals(cmd).json, r, () => console.log(`deleted ${r.deleted} audit event(s) older than ${r.before}`));
    });
}

/**
 * Streams an NDJSON answer of the admin API to a file (written to `<file>.partial`, renamed when
 * complete) or to stdout, without holding it in memory. Returns the number of lines.
 */
async function streamTo(gopts: GlobalOptions, path: string, output: string | undefined): Promise<number> {
  const t = resolveTarget(gopts);
  if (!t.token) throw new CliError('no admin token: set AGENT_PLATFORM_TOKEN (or AGENT_PLATFORM_TOKEN_FILE), pass --token, or run next to the DATA_DIR that holds admin-token', { exitCode: 2 });
  let res: Response;
  try {
    res = await fetch(t.url + ADMIN_PREFIX + path, { headers: { authorization: `Bearer ${t.token}`, accept: 'application/x-ndjson' } });
  } catch (err) {
    const c = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach the platform at ${t.url} (${c?.code ?? c?.message ?? (err as Error).message}); is it running?`);
  }
  if (!res.ok) {
    const p = (await res.json().catch(() => ({}))) as Problem;
    throw new CliError(`${p.title ?? `HTTP ${res.status}`}: ${p.detail ?? ''}${p.code ? ` [${p.code}]` : ''}`.trim(), { details: (p.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`) });
  }
  const { rename } = await import('node:fs/promises');
  const partial = output ? `${output}.partial` : undefined;
  const sink = partial ? createWriteStream(partial) : process.stdout;
  let lines = 0;
  try {
    await res.body!.pipeTo(
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
