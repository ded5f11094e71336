export { NullDriver } from './driver.js';
