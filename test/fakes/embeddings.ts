import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashEmbedder } from '../../src/modules/knowledge/embedding.ts';

/**
 * A deterministic local OpenAI-compatible `/embeddings` server (the offline hash embedding behind
 * HTTP), so the evaluation and tests exercise the real provider path (AI SDK `embedMany`) offline.
 */
export class FakeEmbeddings {
  private server: Server | undefined;
  url = '';
  requests = 0;

  async listen(dimensions = 256): Promise<this> {
    const e = hashEmbedder(dimensions);
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.requests++;
        const { input, model } = JSON.parse(body) as { input: string[] | string; model: string };
        const texts = Array.isArray(input) ? input : [input];
        void e.embed(texts).then((vs) => {
          res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(
            JSON.stringify({ object: 'list', model, data: vs.map((embedding, index) => ({ object: 'embedding', index, embedding })), usage: { prompt_tokens: 0, total_tokens: 0 } }),
          );
        });
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}
