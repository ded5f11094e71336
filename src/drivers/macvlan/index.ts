export { MacvlanDriver } from './driver.js';
export { HOST_SHIM_AUX, MACVLAN_OPTION } from './options.js';
