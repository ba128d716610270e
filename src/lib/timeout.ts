/**
 * Rejects with `message` when `p` does not settle within `ms`. Lives in lib (not next to the
 * database) so light modules such as the Redis client can use it without loading the drivers.
 *
 * @example
 * await withTimeout(client.ping(), 1000, 'redis ping timed out');
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
