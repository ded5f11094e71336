export { DnsService, RESOLVER_ADDRESS, type DnsServiceOptions } from './service.js';
export { EmbeddedDnsFiles } from './resolv-files.js';
