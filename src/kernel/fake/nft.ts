/**
 * nftables, as far as unit tests need it: every applied script is kept in
 * order, and tables are tracked from the statements that make and remove
 * them. A script is one transaction, like `nft -f`: if any statement refers
 * to a table that is not there, nothing of it is applied. Chains, rules, sets
 * and maps are not modelled beyond "their table must exist".
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { FakeNft, NftTable } from './model.js';

const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const VERBS = new Set(['add', 'create', 'delete', 'destroy', 'flush', 'list', 'insert', 'replace', 'reset']);
const TABLE_OBJECTS = new Set(['chain', 'rule', 'set', 'map', 'element', 'counter', 'quota', 'flowtable', 'limit']);

interface TableRef {
  family: string;
  name: string;
}

/** Apply a script as one transaction, or throw WEFT_NFT_FAILED and change nothing. */
export function applyNftScript(nft: FakeNft, script: string): void {
  const statements = topLevelStatements(script);
  const tables = nft.tables.map((t) => ({ ...t }));
  let nextHandle = nft.nextHandle;
  for (const statement of statements) {
    const created = interpret(tables, statement, nextHandle);
    if (created) nextHandle += 1;
  }
  nft.scripts.push(script);
  nft.tables = tables;
  nft.nextHandle = nextHandle;
}

/** `nft -j list ruleset` / `nft -j list table FAMILY NAME`, tables only. */
export function listNft(nft: FakeNft, table?: TableRef): { nftables: unknown[] } {
  const metainfo = { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } };
  const shown = table ? nft.tables.filter((t) => t.family === table.family && t.name === table.name) : nft.tables;
  if (table && shown.length === 0) throw nftError('ENOENT', `No such file or directory: table ${table.family} ${table.name}`);
  return { nftables: [metainfo, ...shown.map((t) => ({ table: { ...t } }))] };
}

/** Statements outside any `{ … }` block, comments stripped, split at newlines and ';'. */
function topLevelStatements(script: string): string[] {
  const statements: string[] = [];
  let depth = 0;
  for (const line of script.split('\n')) {
    for (const segment of line.replace(/#.*$/, '').split(';')) {
      const text = segment.trim();
      if (depth === 0 && text !== '') statements.push(text);
      depth += (text.match(/\{/g)?.length ?? 0) - (text.match(/\}/g)?.length ?? 0);
    }
  }
  return statements;
}

/** Apply one statement to `tables`; true when it created a table (and so used a handle). */
function interpret(tables: NftTable[], statement: string, handle: number): boolean {
  const tokens = statement.replace(/\{.*$/, '').trim().split(/\s+/);
  if (tokens[0] === 'table') tokens.unshift('add');
  const [verb, object] = tokens;
  if (verb === 'flush' && object === 'ruleset') {
    tables.splice(0);
    return false;
  }
  if (!verb || !object || !VERBS.has(verb)) return false;
  if (object !== 'table' && !TABLE_OBJECTS.has(object)) return false;
  const ref = tableRef(tokens.slice(2));
  const index = tables.findIndex((t) => t.family === ref.family && t.name === ref.name);
  if (object !== 'table') {
    if (index < 0 && verb !== 'destroy') throw missingTable(ref, statement);
    return false;
  }
  if (verb === 'add' || verb === 'create') {
    if (index >= 0 && verb === 'create') throw nftError('EEXIST', `File exists: table ${ref.family} ${ref.name}`, statement);
    if (index >= 0) return false;
    tables.push({ ...ref, handle });
    return true;
  }
  if (index < 0) {
    if (verb === 'destroy') return false;
    throw missingTable(ref, statement);
  }
  if (verb === 'delete' || verb === 'destroy') tables.splice(index, 1);
  return false;
}

/** '[FAMILY] NAME …'; the family defaults to ip, as in nft. */
function tableRef(words: string[]): TableRef {
  const [first, second] = words;
  if (first !== undefined && second !== undefined && FAMILIES.has(first)) return { family: first, name: second };
  return { family: 'ip', name: first ?? '' };
}

function missingTable(ref: TableRef, statement: string): WeftError {
  return nftError('ENOENT', `No such file or directory: table ${ref.family} ${ref.name} does not exist`, statement);
}

function nftError(code: string, message: string, statement?: string): WeftError {
  return new WeftError(ErrorCodes.NFT_FAILED, 'Internal', `nft: Error: ${message}`, {
    details: { errno: code, ...(statement !== undefined && { statement }) },
  });
}
