export { NatDriver } from './driver.js';
export { natNetworkData } from './network.js';
