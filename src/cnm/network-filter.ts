import type { NetworkFilter } from './api-types.js';
import type { NetworkRecord } from './records.js';

/** Docker's `network ls --filter`: keys are AND-ed; values of one key are OR-ed, except labels, which must all match. */
export function matchesFilter(net: NetworkRecord, filter: NetworkFilter): boolean {
  const any = (values: string[] | undefined, test: (v: string) => boolean) => !values?.length || values.some(test);
  return (
    any(filter.driver, (v) => net.driver === v) &&
    // name and id match by substring / prefix, as in Docker
    any(filter.name, (v) => net.name.includes(v)) &&
    any(filter.id, (v) => net.id.startsWith(v)) &&
    (filter.label ?? []).every((v) => {
      const [key, ...rest] = v.split('=');
      if (rest.length === 0) return key! in net.labels;
      return net.labels[key!] === rest.join('=');
    })
  );
}
