export { RemoteIpam } from './remote-ipam.js';
