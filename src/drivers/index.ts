/**
 * The drivers built into weftd. The composition root registers them; the
 * controller finds them by name and never imports one directly.
 */
import { BridgeDriver } from './bridge/index.js';
import type { Driver } from './driver.js';
import { HostDriver } from './host/index.js';
import { MacvlanDriver } from './macvlan/index.js';
import { NatDriver } from './nat/index.js';
import { NullDriver } from './null/index.js';

export function builtinDrivers(): Driver[] {
  return [new BridgeDriver(), new NatDriver(), new MacvlanDriver(), new HostDriver(), new NullDriver()];
}

export { BridgeDriver, HostDriver, MacvlanDriver, NatDriver, NullDriver };
export { WEFT_LINK_GROUP } from './common/names.js';
