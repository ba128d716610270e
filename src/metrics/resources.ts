import { readFileSync, statfsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { RedisHandle } from '../cache/redis.ts';
import type { Metrics } from './index.ts';

/**
 * The resource figures the seeds alert on (memory and CPU against the container's limits, disk use,
 * Redis memory), exported by the platform itself so the alerts work without cAdvisor or a Redis
 * exporter. Read at every scrape; each figure that cannot be read is left out rather than guessed.
 */

/** A number from the first cgroup file that exists (v2, then v1); undefined for none or "max". */
function cgroupNumber(paths: string[], read: (text: string) => number | undefined): number | undefined {
  for (const p of paths) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8').trim();
    } catch {
      continue;
    }
    return read(text);
  }
  return undefined;
}

/** The container's memory limit in bytes, or the machine's memory when there is none. */
export function memoryLimitBytes(root = '/sys/fs/cgroup'): number {
  const limit = cgroupNumber([`${root}/memory.max`, `${root}/memory/memory.limit_in_bytes`], (t) => {
    const n = Number(t);
    // cgroup v1 says "no limit" with a number near 2^63.
    return t === 'max' || !Number.isFinite(n) || n <= 0 || n >= 2 ** 62 ? undefined : n;
  });
  return Math.min(limit ?? Infinity, totalmem());
}

/** The CPU cores the container may use (its CFS quota), or the machine's when there is none. */
export function cpuLimitCores(root = '/sys/fs/cgroup'): number {
  const v2 = cgroupNumber([`${root}/cpu.max`], (t) => {
    const [quota, period] = t.split(/\s+/);
    return quota === 'max' || !quota || !period ? undefined : Number(quota) / Number(period);
  });
  const v1 = v2 ?? cgroupNumber([`${root}/cpu/cpu.cfs_quota_us`], (t) => {
    const quota = Number(t);
    const period = cgroupNumber([`${root}/cpu/cpu.cfs_period_us`], Number);
    return quota > 0 && period ? quota / period : undefined;
  });
  return v1 && v1 > 0 ? v1 : availableParallelism();
}

/** Sets the resource gauges: limits, disk use of each named directory, Redis memory. */
export async function collectResources(metrics: Metrics, opts: { volumes: Record<string, string>; redis: RedisHandle | undefined }): Promise<void> {
  metrics.memoryLimit.set(memoryLimitBytes());
  metrics.cpuLimit.set(cpuLimitCores());
  for (const [volume, path] of Object.entries(opts.volumes)) {
    try {
      const s = statfsSync(path);
      metrics.diskSize.set({ volume }, s.blocks * s.bsize);
      // Available to an unprivileged process (bavail), as df shows it.
      metrics.diskFree.set({ volume }, s.bavail * s.bsize);
    } catch {
      metrics.diskSize.remove({ volume });
      metrics.diskFree.remove({ volume });
    }
  }
  if (!opts.redis) return;
  try {
    const info = await opts.redis.client.info('memory');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
    const used = field('used_memory');
    // maxmemory 0 means no limit: then the machine's memory is what Redis can grow into.
    const max = field('maxmemory') || field('total_system_memory');
    if (Number.isFinite(used)) metrics.redisMemoryUsed.set(used);
    if (Number.isFinite(max) && max > 0) metrics.redisMemoryMax.set(max);
  } catch {
    /* Redis down: redis_up says so */
  }
}
