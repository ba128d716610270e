/**
 * Readable output by default, `--json` for scripts. Tables are plain aligned columns so they
 * survive copy-paste into tickets.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const row of cells) process.stdout.write(`${line(row)}\n`);
}

/** Prints `key: value` lines for one object. */
export function printFields(obj: Record<string, unknown>, keys?: string[]): void {
  const ks = keys ?? Object.keys(obj);
  const w = Math.max(...ks.map((k) => k.length));
  for (const k of ks) process.stdout.write(`${`${k}:`.padEnd(w + 2)}${cell(obj[k])}\n`);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return `${v as string | number | boolean}`.replace(/\s*\n\s*/g, ' ');
}

/** Either JSON or the readable form. */
export function emit(json: boolean | undefined, value: unknown, readable: () => void): void {
  if (json) printJson(value);
  else readable();
}
