import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Which network addresses an agent's outbound request may reach (docs/adr/0041-tool-security.md).
 * Public unicast addresses are allowed. Private (RFC 1918), loopback, IPv6 unique-local and
 * carrier-grade NAT addresses are allowed only with `allowPrivate`. Link-local (where cloud
 * metadata lives), unspecified, multicast, broadcast, reserved and translation ranges (6to4,
 * Teredo, NAT64), and the known metadata endpoints are never allowed.
 */

/** Cloud metadata and host endpoints, refused even when private addresses are allowed. */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', '168.63.129.16', '100.100.100.200', 'fd00:ec2::254']);

const PRIVATE_RANGES = new Set(['private', 'loopback', 'uniqueLocal', 'carrierGradeNat']);

/** Why an address is refused, or undefined when it may be reached. */
export function addressRefusal(address: string, opts: { allowPrivate: boolean }): string | undefined {
  if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
  // process() turns IPv4-mapped IPv6 (::ffff:127.0.0.1) into the IPv4 address it stands for.
  const ip = ipaddr.process(address);
  const normal = ip.toString();
  if (METADATA.has(normal)) return `${normal} is a cloud metadata endpoint`;
  const range = ip.range();
  if (range === 'unicast') return undefined;
  if (PRIVATE_RANGES.has(range)) return opts.allowPrivate ? undefined : `${normal} is a ${range} address (private addresses are not allowed for this agent)`;
  return `${normal} is a ${range} address`;
}

/** One resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all of its addresses (the system resolver by default; tests inject one). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const all = await dnsLookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * Resolves `hostname` once and checks every address it maps to; returns the address to connect
 * to, or the refusal. Every address must pass, so a name that mixes a public and a private address
 * cannot win by chance, and the caller connects to exactly the address checked here (no second
 * lookup a rebinding DNS server could answer differently).
 */
export async function resolveChecked(hostname: string, resolver: Resolver, opts: { allowPrivate: boolean }): Promise<{ ok: true; address: ResolvedAddress } | { ok: false; reason: string }> {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (ipaddr.isValid(bare)) {
    const reason = addressRefusal(bare, opts);
    return reason ? { ok: false, reason } : { ok: true, address: { address: bare, family: bare.includes(':') ? 6 : 4 } };
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolver(bare);
  } catch (err) {
    return { ok: false, reason: `cannot resolve ${bare} (${(err as { code?: string }).code ?? (err as Error).message})` };
  }
  if (addresses.length === 0) return { ok: false, reason: `${bare} has no addresses` };
  for (const a of addresses) {
    const reason = addressRefusal(a.address, opts);
    if (reason) return { ok: false, reason: `${bare} resolves to ${reason}` };
  }
  return { ok: true, address: addresses[0]! };
}
