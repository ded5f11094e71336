/**
 * Bits of nft syntax. Inputs are validated by model.ts before they get here.
 */

export const TABLE = 'weft';

export const quote = (name: string) => `"${name}"`;

/** A value or an anonymous set of values: `x` or `{ x, y }`. */
export function oneOrSet(values: readonly string[]): string {
  return values.length === 1 ? values[0]! : `{ ${values.join(', ')} }`;
}

/** A named set of interface names. An empty set is valid and matches nothing. */
export function ifnameSet(name: string, devices: readonly string[], indent: string): string[] {
  const lines = [`${indent}set ${name} {`, `${indent}\ttype ifname`];
  if (devices.length > 0) lines.push(`${indent}\telements = { ${devices.map(quote).join(', ')} }`);
  lines.push(`${indent}}`);
  return lines;
}

/** A base chain with its rules; comments are lines starting with '#'. */
export function chain(name: string, header: string, rules: readonly string[], indent: string): string[] {
  return [`${indent}chain ${name} {`, `${indent}\t${header}`, ...rules.map((r) => `${indent}\t${r}`), `${indent}}`];
}

/** `ip6 saddr`/`ip saddr` by the family of the addresses. */
export const ipKeyword = (family: 4 | 6) => (family === 4 ? 'ip' : 'ip6');
