/** Output formats shared by the commands, matching docker's. */

/** Docker shows ids cut to 12 characters unless asked for the full id. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

/**
 * Aligned columns as docker's tabwriter prints them (minimum cell width 10,
 * padding 3); the last column is not padded.
 */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(10, ...all.map((row) => (row[col] ?? '').length + 3)));
  const line = (row: string[]) =>
    row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('');
  return all.map((row) => `${line(row)}\n`).join('');
}

/** `inspect` output: a JSON array indented by 4 spaces, as docker prints it. */
export function inspectJson(items: unknown[]): string {
  return `${JSON.stringify(items, null, 4)}\n`;
}

/** `--format json`: one JSON object per line, as docker prints it. */
export function jsonLines(items: object[]): string {
  return items.map((item) => `${JSON.stringify(item)}\n`).join('');
}

/**
 * Docker's CreatedAt text (Go's time.String): "2024-01-01 00:00:00.5 +0000 UTC".
 * Anything that is not an RFC 3339 UTC time is shown as it came.
 */
export function goTime(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(rfc3339);
  if (!m) return rfc3339;
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${fraction === '.' ? '' : fraction} +0000 UTC`;
}

/** Docker's rendering of a label map in `ls` output: k=v pairs joined by commas. */
export function labelList(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
