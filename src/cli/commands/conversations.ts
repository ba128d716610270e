import type { Command } from 'commander';
import { ApiClient, globals, type Body } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';
import { intArg } from '../parse.ts';

type Message = Body<'get', '/admin/api/v1/conversations/{id}/messages'>['items'][number];

const oneLine = (s: string, max = 120) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** `agentctl conversations …`: customers' conversations and their messages (admin API /conversations; reads, not audited). */
export function registerConversations(program: Command): void {
  const cv = program.command('conversations').description("customers' conversations with agents and their messages");
  cv.command('list')
    .description('conversations, newest first; --access or --tenant to narrow')
    .option('--access <id>', 'conversations of one access')
    .option('--tenant <id>', 'conversations of one tenant (id)')
    .option('--limit <n>', 'at most this many (1-100)', intArg, 20)
    .option('--cursor <cursor>', 'the next page: next_cursor of the previous --json output')
    .action(async (o: { access?: string; tenant?: string; limit: number; cursor?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const query = { limit: o.limit, ...(o.access ? { access: o.access } : {}), ...(o.tenant ? { tenant: o.tenant } : {}), ...(o.cursor ? { cursor: o.cursor } : {}) };
      const res = await c.call(c.api.GET('/admin/api/v1/conversations', { params: { query } }), { fields: { access: '--access', tenant: '--tenant', limit: '--limit', cursor: '--cursor' } });
      emit(globals(cmd).json, res, () => {
        printTable(res.items, ['id', 'access_id', 'agent_id', 'title', 'message_count', 'updated_at']);
        if (res.next_cursor) console.log(`more: --cursor ${res.next_cursor}`);
      });
    });
  cv.command('show <id>')
    .description('a conversation and its messages, oldest first')
    .option('--limit <n>', 'at most this many messages', intArg, 200)
    .action(async (id: string, o: { limit: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const conv = await c.call(c.api.GET('/admin/api/v1/conversations/{id}', { params: { path: { id } } }), { fields: { id: '<id>' } });
      const messages: Message[] = [];
      let cursor: string | null = null;
      do {
        const limit = Math.min(100, o.limit - messages.length);
        const page: Body<'get', '/admin/api/v1/conversations/{id}/messages'> = await c.call(
          c.api.GET('/admin/api/v1/conversations/{id}/messages', { params: { path: { id }, query: { limit, ...(cursor ? { cursor } : {}) } } }),
        );
        messages.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && messages.length < o.limit);
      emit(globals(cmd).json, { ...conv, messages }, () => {
        printFields(conv, ['id', 'tenant_id', 'access_id', 'agent_id', 'title', 'message_count', 'created_at', 'updated_at']);
        process.stdout.write(`messages (${messages.length}${messages.length < conv.message_count ? ` of ${conv.message_count}` : ''}):\n`);
        for (const m of messages) process.stdout.write(`  #${m.position} ${m.role.padEnd(9)} ${String(m.tokens).padStart(5)} tok  ${oneLine(m.content)}\n`);
      });
    });
}
