import type { Geo } from '../contracts/login-alert.js';

// These take the geo rather than the whole sign-in context so account changes can use them too.

/** anonymous_network: the address is an anonymizer (VPN, public or residential proxy, or Tor). */
export function isAnonymousNetwork(geo: Geo): boolean {
  return (
    geo.is_anonymous === true ||
    geo.is_anonymous_vpn === true ||
    geo.is_public_proxy === true ||
    geo.is_residential_proxy === true ||
    geo.is_tor_exit_node === true
  );
}

/** hosting_network: the address belongs to a hosting or cloud provider rather than an end-user network. */
export function isHostingNetwork(geo: Geo): boolean {
  return geo.is_hosting_provider === true;
}
