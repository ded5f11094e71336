/** Finding records the way Docker does: full id, then exact name, then a unique id prefix. */
import { WeftError } from '../errors/index.js';
import type { NetworkRecord, SandboxRecord } from './records.js';
import type { Repository } from './repository.js';

export function findNetwork(repo: Repository, ref: string): NetworkRecord {
  const found = lookup([...repo.networks.values()], ref);
  if (found === 'ambiguous') {
    throw new WeftError('WEFT_NETWORK_AMBIGUOUS', 'BadRequest', `network ${ref} is ambiguous: it matches several network ids`);
  }
  if (!found) throw new WeftError('WEFT_NETWORK_NOT_FOUND', 'NotFound', `network ${ref} not found`, { details: { network: ref } });
  return found;
}

export function findSandbox(repo: Repository, ref: string): SandboxRecord {
  const found = lookup([...repo.sandboxes.values()], ref);
  if (found === 'ambiguous') {
    throw new WeftError('WEFT_SANDBOX_AMBIGUOUS', 'BadRequest', `sandbox ${ref} is ambiguous: it matches several sandbox ids`);
  }
  if (!found) throw new WeftError('WEFT_SANDBOX_NOT_FOUND', 'NotFound', `no such sandbox: ${ref}`, { details: { sandbox: ref } });
  return found;
}

function lookup<T extends { id: string; name: string }>(records: T[], ref: string): T | 'ambiguous' | undefined {
  if (ref === '') return undefined;
  const exact = records.find((r) => r.id === ref) ?? records.find((r) => r.name === ref);
  if (exact) return exact;
  if (!/^[0-9a-f]+$/.test(ref)) return undefined;
  const byPrefix = records.filter((r) => r.id.startsWith(ref));
  if (byPrefix.length > 1) return 'ambiguous';
  return byPrefix[0];
}
