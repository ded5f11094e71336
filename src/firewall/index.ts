export { renderFirewall, firewallOp } from './render.js';
export { EMPTY_FIREWALL_STATE, type FirewallNetwork, type FirewallState, type PublishedPort } from './state.js';
