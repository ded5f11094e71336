export { HostDriver } from './driver.js';
