import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';

const CONTENT_TYPES: Record<string, string> = { '.md': 'text/markdown', '.markdown': 'text/markdown', '.txt': 'text/plain', '.html': 'text/html', '.htm': 'text/html', '.pdf': 'application/pdf' };

/** `agentctl kb …`: knowledge bases, their documents and search (admin API /knowledge-bases, docs/adr/0058). */
export function registerKb(program: Command): void {
  const kb = program.command('kb').description('knowledge bases: documents agents answer from, with citations');
  kb.command('create <name>')
    .description("create a knowledge base (a tenant's, or platform-wide without --tenant)")
    .option('--tenant <name|id>', 'owner tenant')
    .option('--description <text>', 'what it holds')
    .action(async (name: string, o: { tenant?: string; description?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const body = { name, ...(o.tenant ? { tenant: o.tenant } : {}), ...(o.description ? { description: o.description } : {}) };
      const res = await c.call(c.api.POST('/admin/api/v1/knowledge-bases', { body }), { fields: { tenant: '--tenant', name: '<name>' } });
      emit(globals(cmd).json, res, () => console.log(`knowledge base ${res.name} created (${res.id})`));
    });
  kb.command('list')
    .description('list knowledge bases')
    .option('--tenant <name|id>', 'only those of this tenant')
    .action(async (o: { tenant?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/knowledge-bases', { params: { query: { tenant: o.tenant } } }), { fields: { tenant: '--tenant' } });
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'name', 'tenant_id', 'documents', 'bytes', 'created_at']));
    });
  kb.command('show <kb>')
    .description('show a knowledge base (id or name)')
    .action(async (ref: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/knowledge-bases/{kb}', { params: { path: { kb: ref } } }));
      emit(globals(cmd).json, res, () => printFields(res));
    });
  kb.command('delete <kb>')
    .alias('remove')
    .description('delete a knowledge base and its documents (alias: remove)')
    .action(async (ref: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.DELETE('/admin/api/v1/knowledge-bases/{kb}', { params: { path: { kb: ref } } }));
      emit(globals(cmd).json, res, () => console.log(`knowledge base ${res.name} deleted`));
    });
  kb.command('upload <kb> <files_or_urls...>')
    .alias('add')
    .description('add or replace documents (alias: add) (Markdown, text, HTML, PDF files, or http(s) URLs); unchanged content is a no-op')
    .action(async (ref: string, items: string[], _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const results: { item: string; status: string; chunks: number; id: string }[] = [];
      const tty = process.stderr.isTTY && !globals(cmd).json;
      for (const [i, item] of items.entries()) {
        if (tty && items.length > 1) {
          const width = 30;
          const done = Math.round((i / items.length) * width);
          process.stderr.write(`\r[${'#'.repeat(done)}${' '.repeat(width - done)}] ${i}/${items.length} ${basename(item).slice(0, 40).padEnd(40)}`);
        }
        let body;
        if (/^https?:\/\//i.test(item)) body = { url: item };
        else {
          const bytes = await readFile(item);
          const ct = CONTENT_TYPES[extname(item).toLowerCase()];
          body = { source: basename(item), content_base64: bytes.toString('base64'), ...(ct ? { content_type: ct } : {}) };
        }
        const res = await c.call(c.api.POST('/admin/api/v1/knowledge-bases/{kb}/documents', { params: { path: { kb: ref } }, body }));
        results.push({ item, status: res.status, chunks: res.chunks, id: res.id });
      }
      if (tty && items.length > 1) process.stderr.write(`\r${' '.repeat(80)}\r`);
      emit(globals(cmd).json, { items: results }, () => printTable(results, ['item', 'status', 'chunks', 'id']));
    });
  kb.command('docs <kb>')
    .description("list a knowledge base's documents")
    .action(async (ref: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/knowledge-bases/{kb}/documents', { params: { path: { kb: ref } } }));
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'source', 'title', 'content_type', 'version', 'chunks', 'bytes', 'updated_at']));
    });
  kb.command('search <kb> <query>')
    .description('search a knowledge base (hybrid by default)')
    .option('-k <n>', 'how many results', '5')
    .option('--mode <mode>', 'hybrid, fulltext or vector', 'hybrid')
    .action(async (ref: string, query: string, o: { k: string; mode: 'hybrid' | 'fulltext' | 'vector' }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/knowledge-bases/{kb}/search', { params: { path: { kb: ref } }, body: { query, k: Number(o.k), mode: o.mode } }), { fields: { k: '-k', mode: '--mode' } });
      emit(globals(cmd).json, res, () => {
        res.items.forEach((h, i) => console.log(`[${i + 1}] ${h.document_title} › ${h.heading_path || '(top)'} #${h.position}  (${h.source}, score ${h.score})\n    ${h.text.replace(/\s+/g, ' ').slice(0, 200)}`));
        if (res.items.length === 0) console.log('no results');
      });
    });
}
