import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32 } from 'node:zlib';

/**
 * A minimal S3-compatible object store on 127.0.0.1 (path-style: `/<bucket>/<key>`), for the
 * off-site backup tests (ADR 0075). It implements what `@aws-sdk/client-s3` and
 * `@aws-sdk/lib-storage` send for our use, following the S3 API reference:
 *
 * - HeadBucket, ListObjectsV2 (prefix, max-keys, continuation tokens), PutObject, GetObject,
 *   HeadObject, DeleteObject, DeleteObjects (`POST ?delete`), and multipart uploads
 *   (CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload);
 * - AWS Signature Version 4 on every request (Authorization header): the canonical request is
 *   rebuilt from what arrived and signed with the secret of the access key, so a wrong secret gets
 *   403 `SignatureDoesNotMatch` and an unknown key 403 `InvalidAccessKeyId`, as S3 answers; a signed
 *   payload hash (`x-amz-content-sha256`) must match the body (else 400 `XAmzContentSHA256Mismatch`),
 *   and `x-amz-checksum-crc32` / `Content-MD5`, when sent, must match too (400 `BadDigest`);
 * - errors as S3's XML (`<Error><Code>…`), with no body on HEAD.
 *
 * `faults` makes the next requests of an operation fail with a given status and code (outages,
 * refusals), and `requests` records every call, so tests see what the client did.
 */
export interface FakeS3Object {
  body: Buffer;
  etag: string;
  lastModified: Date;
  contentType: string | undefined;
}

export interface S3Fault {
  /** Operation name: PutObject, UploadPart, ListObjectsV2, GetObject, DeleteObjects, … */
  op: string;
  status: number;
  code: string;
  /** How many requests fail (default 1). */
  times?: number;
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept). */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export class FakeS3 {
  readonly buckets = new Map<string, Map<string, FakeS3Object>>();
  readonly requests: { op: string; method: string; path: string; status: number; accessKeyId: string | undefined }[] = [];
  readonly faults: S3Fault[] = [];
  /** Largest ListObjectsV2 page (S3's is 1000): small values exercise the client's paging. */
  pageSize = 1000;
  private readonly keys: Map<string, string>;
  private readonly uploads = new Map<string, { bucket: string; key: string; parts: Map<number, { body: Buffer; etag: string }> }>();
  private readonly http: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(opts: { credentials: Record<string, string>; buckets: string[] }) {
    this.keys = new Map(Object.entries(opts.credentials));
    for (const b of opts.buckets) this.buckets.set(b, new Map());
    this.http = createServer((req, res) => void this.serve(req, res));
    this.http.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Object keys of a bucket, sorted. */
  list(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].sort();
  }

  get(bucket: string, key: string): FakeS3Object | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Buffer = Buffer.concat(chunks);
    const rawUrl = req.url ?? '/';
    const qi = rawUrl.indexOf('?');
    const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const rawQuery = qi < 0 ? '' : rawUrl.slice(qi + 1);
    const query = new URLSearchParams(rawQuery);
    const segments = rawPath.split('/').slice(1);
    const bucket = decodeURIComponent(segments[0] ?? '');
    const key = segments.slice(1).map(decodeURIComponent).join('/');
    const method = req.method ?? 'GET';
    const op = operation(method, key, query);
    const record = { op, method, path: rawPath, status: 0, accessKeyId: undefined as string | undefined };
    this.requests.push(record);
    const send = (status: number, xml?: string, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { ...(xml && method !== 'HEAD' ? { 'content-type': 'application/xml' } : {}), 'x-amz-request-id': randomBytes(8).toString('hex'), ...headers });
      res.end(method === 'HEAD' ? undefined : xml);
    };
    const fail = (status: number, code: string, message: string) =>
      send(status, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message><Resource>${esc(rawPath)}</Resource><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`);

    // --- authentication: AWS Signature Version 4
    const auth = this.verifySignature(req, method, rawPath, rawQuery, body);
    record.accessKeyId = auth.accessKeyId;
    if (!auth.ok) return fail(403, auth.code, auth.message);
    const declared = String(req.headers['x-amz-content-sha256'] ?? '');
    if (/^[0-9a-f]{64}$/.test(declared) && sha256(body) !== declared) return fail(400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
    if (declared.startsWith('STREAMING-')) {
      if (!String(req.headers['content-encoding'] ?? '').includes('aws-chunked')) return fail(400, 'InvalidRequest', 'streaming payload without aws-chunked encoding');
      body = decodeChunked(body);
    }
    const crc = req.headers['x-amz-checksum-crc32'];
    if (typeof crc === 'string') {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(crc32(body));
      if (b.toString('base64') !== crc) return fail(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
    }
    const md5 = req.headers['content-md5'];
    if (typeof md5 === 'string' && createHash('md5').update(body).digest('base64') !== md5) return fail(400, 'BadDigest', 'The Content-MD5 you specified did not match what was received.');

    const fault = this.faults.find((f) => f.op === op && (f.times ?? 1) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      return fail(fault.status, fault.code, `injected fault on ${op}`);
    }

    const objects = this.buckets.get(bucket);
    if (!objects) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');

    switch (op) {
      case 'HeadBucket':
        return send(200);
      case 'ListObjectsV2': {
        const prefix = query.get('prefix') ?? '';
        const max = Math.min(Number(query.get('max-keys') ?? 1000), this.pageSize);
        const after = query.get('continuation-token') ? Buffer.from(query.get('continuation-token')!, 'base64url').toString() : (query.get('start-after') ?? '');
        const all = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
        const page = all.slice(0, max);
        const truncated = all.length > page.length;
        const contents = page
          .map((k) => {
            const o = objects.get(k)!;
            return `<Contents><Key>${esc(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>&quot;${o.etag}&quot;</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
          })
          .join('');
        return send(
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${XMLNS}"><Name>${esc(bucket)}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64url')}</NextContinuationToken>` : ''}</ListBucketResult>`,
        );
      }
      case 'PutObject': {
        const etag = createHash('md5').update(body).digest('hex');
        objects.set(key, { body, etag, lastModified: new Date(), contentType: req.headers['content-type'] });
        return send(200, undefined, { etag: `"${etag}"` });
      }
      case 'GetObject':
      case 'HeadObject': {
        const o = objects.get(key);
        if (!o) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
        record.status = 200;
        res.writeHead(200, { 'content-length': String(o.body.length), etag: `"${o.etag}"`, 'last-modified': o.lastModified.toUTCString(), 'content-type': o.contentType ?? 'binary/octet-stream' });
        res.end(op === 'GetObject' ? o.body : undefined);
        return;
      }
      case 'DeleteObject':
        objects.delete(key);
        return send(204);
      case 'DeleteObjects': {
        const keys = [...body.toString().matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unescapeXml(m[1]!));
        const quiet = /<Quiet>true<\/Quiet>/.test(body.toString());
        for (const k of keys) objects.delete(k);
        return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${XMLNS}">${quiet ? '' : keys.map((k) => `<Deleted><Key>${esc(k)}</Key></Deleted>`).join('')}</DeleteResult>`);
      }
      case 'CreateMultipartUpload': {
        const id = randomBytes(12).toString('hex');
        this.uploads.set(id, { bucket, key, parts: new Map() });
        return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="${XMLNS}"><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
      }
      case 'UploadPart': {
        const u = this.uploads.get(query.get('uploadId') ?? '');
        if (!u || u.bucket !== bucket || u.key !== key) return fail(404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
        const etag = createHash('md5').update(body).digest('hex');
        u.parts.set(Number(query.get('partNumber')), { body, etag });
        return send(200, undefined, { etag: `"${etag}"` });
      }
      case 'CompleteMultipartUpload': {
        const id = query.get('uploadId') ?? '';
        const u = this.uploads.get(id);
        if (!u || u.bucket !== bucket || u.key !== key) return fail(404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
        const listed = [...body.toString().matchAll(/<Part>[\s\S]*?<\/Part>/g)].map((m) => ({
          n: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[0])?.[1]),
          etag: unescapeXml(/<ETag>([^<]*)<\/ETag>/.exec(m[0])?.[1] ?? '').replace(/"/g, ''),
        }));
        if (listed.length === 0) return fail(400, 'MalformedXML', 'no parts');
        const bodies: Buffer[] = [];
        for (const [i, p] of listed.entries()) {
          const part = u.parts.get(p.n);
          if (!part || part.etag !== p.etag) return fail(400, 'InvalidPart', `part ${p.n} was not uploaded or its ETag differs`);
          if (i > 0 && p.n <= listed[i - 1]!.n) return fail(400, 'InvalidPartOrder', 'parts must be in ascending order');
          if (i < listed.length - 1 && part.body.length < 5 * 1024 * 1024) return fail(400, 'EntityTooSmall', `part ${p.n} is smaller than 5 MiB`);
          bodies.push(part.body);
        }
        const all = Buffer.concat(bodies);
        const etag = `${createHash('md5').update(Buffer.concat(listed.map((p) => Buffer.from(p.etag, 'hex')))).digest('hex')}-${listed.length}`;
        objects.set(key, { body: all, etag, lastModified: new Date(), contentType: undefined });
        this.uploads.delete(id);
        return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="${XMLNS}"><Location>${this.url}/${esc(bucket)}/${esc(key)}</Location><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><ETag>&quot;${etag}&quot;</ETag></CompleteMultipartUploadResult>`);
      }
      case 'AbortMultipartUpload':
        this.uploads.delete(query.get('uploadId') ?? '');
        return send(204);
      default:
        return fail(501, 'NotImplemented', `${method} ${op} is not implemented by the fake`);
    }
  }

  /** Multipart uploads started and neither completed nor aborted. */
  openUploads(): number {
    return this.uploads.size;
  }

  /** SigV4 as S3 checks it: the canonical request rebuilt from the request as received. */
  private verifySignature(req: IncomingMessage, method: string, rawPath: string, rawQuery: string, _body: Buffer): { ok: true; accessKeyId: string } | { ok: false; code: string; message: string; accessKeyId?: string } {
    const header = String(req.headers.authorization ?? '');
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(header);
    if (!m) return { ok: false, code: 'AccessDenied', message: 'Anonymous access is forbidden: an AWS4-HMAC-SHA256 Authorization header is required' };
    const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
    const secret = this.keys.get(accessKeyId);
    if (!secret) return { ok: false, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.', accessKeyId };
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!amzDate.startsWith(date)) return { ok: false, code: 'AccessDenied', message: 'x-amz-date does not match the credential scope date', accessKeyId };
    const skew = Math.abs(Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`) - Date.now());
    if (!(skew < 15 * 60_000)) return { ok: false, code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.', accessKeyId };
    const names = signedHeaders.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date')) return { ok: false, code: 'AccessDenied', message: 'host and x-amz-date must be signed', accessKeyId };
    const canonicalHeaders = names
      .map((n) => {
        const v = req.headers[n];
        return `${n}:${(Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ')}\n`;
      })
      .join('');
    const canonicalQuery = rawQuery
      .split('&')
      .filter(Boolean)
      .map((p) => {
        const i = p.indexOf('=');
        const k = decodeURIComponent((i < 0 ? p : p.slice(0, i)).replace(/\+/g, '%20'));
        const v = i < 0 ? '' : decodeURIComponent(p.slice(i + 1).replace(/\+/g, '%20'));
        return [uriEncode(k), uriEncode(v)] as const;
      })
      .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (!payloadHash) return { ok: false, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256', accessKeyId };
    // S3 signs the path as sent (each segment URI-encoded once, not normalized).
    const canonicalRequest = [method, rawPath || '/', canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${date}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    const expected = createHmac('sha256', key).update(stringToSign).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      return { ok: false, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', accessKeyId };
    }
    return { ok: true, accessKeyId };
  }
}

/** The S3 operation a request is (path-style). */
function operation(method: string, key: string, q: URLSearchParams): string {
  if (!key) {
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'GET' && q.get('list-type') === '2') return 'ListObjectsV2';
    if (method === 'POST' && q.has('delete')) return 'DeleteObjects';
    return `${method} bucket`;
  }
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'PUT' && q.has('uploadId')) return 'UploadPart';
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload';
  return ({ PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' } as Record<string, string>)[method] ?? `${method} object`;
}

/** `aws-chunked` bodies: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0\r\n<trailers>\r\n\r\n`. */
function decodeChunked(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(b.subarray(i, eol).toString().split(';')[0]!, 16);
    if (!size) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

const unescapeXml = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
