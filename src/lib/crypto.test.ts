import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { decryptString, deriveKey, encryptString, hmacHex, parseSecretsKey, safeEqual, sha256Hex } from './crypto.ts';

describe('parseSecretsKey', () => {
  test('accepts 64 hex characters and base64 of 32 bytes (surrounding whitespace ignored)', () => {
    const raw = randomBytes(32);
    assert.deepEqual(parseSecretsKey(raw.toString('hex')), raw);
    assert.deepEqual(parseSecretsKey(` ${raw.toString('hex').toUpperCase()}\n`), raw);
    assert.deepEqual(parseSecretsKey(raw.toString('base64')), raw);
  });
  test('rejects anything else', () => {
    for (const bad of ['', 'abc', randomBytes(31).toString('hex'), randomBytes(16).toString('base64'), randomBytes(48).toString('base64')]) {
      assert.throws(() => parseSecretsKey(bad), /32 bytes/, JSON.stringify(bad));
    }
  });
});

describe('deriveKey', () => {
  test('is deterministic, 32 bytes, and different per purpose and per master', () => {
    const master = randomBytes(32);
    const a = deriveKey(master, 'provider-keys');
    assert.equal(a.length, 32);
    assert.deepEqual(deriveKey(master, 'provider-keys'), a);
    assert.notDeepEqual(deriveKey(master, 'sessions'), a);
    assert.notDeepEqual(deriveKey(randomBytes(32), 'provider-keys'), a);
    assert.notDeepEqual(a, master);
  });
});

describe('AES-256-GCM sealing', () => {
  const key = deriveKey(randomBytes(32), 'test');

  test('round trip, for empty, ASCII and multi-byte text', () => {
    for (const plain of ['', 'sk-live-123', 'ключ 🔑 鍵', 'x'.repeat(10_000)]) {
      const sealed = encryptString(key, plain);
      assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]*$/);
      assert.equal(decryptString(key, sealed), plain);
    }
  });

  test('a fresh IV every time: the same text seals differently and never appears in the output', () => {
    const a = encryptString(key, 'sk-live-123');
    const b = encryptString(key, 'sk-live-123');
    assert.notEqual(a, b);
    assert.ok(!a.includes('sk-live') && !a.includes(Buffer.from('sk-live-123').toString('base64url')));
  });

  test('tampering with the IV, tag or ciphertext is detected', () => {
    const sealed = encryptString(key, 'the provider key');
    const parts = sealed.split('.');
    for (const i of [1, 2, 3]) {
      const bytes = Buffer.from(parts[i]!, 'base64url');
      bytes[0]! ^= 0x01;
      const altered = parts.map((p, j) => (j === i ? bytes.toString('base64url') : p)).join('.');
      assert.throws(() => decryptString(key, altered), Error, `part ${i}`);
    }
    // Truncation too.
    assert.throws(() => decryptString(key, sealed.slice(0, -2)));
  });

  test('the wrong key fails instead of returning garbage', () => {
    const sealed = encryptString(key, 'secret');
    assert.throws(() => decryptString(deriveKey(randomBytes(32), 'test'), sealed));
  });

  test('unknown formats are rejected', () => {
    for (const bad of ['', 'v2.a.b.c', 'v1.only-two', 'plaintext']) assert.throws(() => decryptString(key, bad), /unknown ciphertext format/, bad);
  });
});

describe('hashes and constant-time comparison', () => {
  test('sha256Hex and hmacHex match the known vectors', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // RFC 4231 test case 2.
    assert.equal(hmacHex('Jefe', 'what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  test('safeEqual: equal, unequal, different lengths, empty, multi-byte', () => {
    assert.equal(safeEqual('apt_abc', 'apt_abc'), true);
    assert.equal(safeEqual('apt_abc', 'apt_abd'), false);
    assert.equal(safeEqual('apt_abc', 'apt_ab'), false);
    assert.equal(safeEqual('apt_ab', 'apt_abc'), false);
    assert.equal(safeEqual('', ''), true);
    assert.equal(safeEqual('', 'x'), false);
    assert.equal(safeEqual('é', 'é'), true);
    // Same character count, different byte length: must not throw.
    assert.equal(safeEqual('é', 'e'), false);
  });
});
