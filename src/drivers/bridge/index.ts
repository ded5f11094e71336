export { BridgeDriver } from './driver.js';
export { bridgeNetworkData } from './network.js';
