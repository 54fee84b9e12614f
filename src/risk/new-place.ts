import type { Geo } from '../contracts/login-alert.js';
import { seenWithin } from './seen.js';
import type { SignInContext } from './types.js';

/** The history key of a country: its upper-case ISO code, or undefined when the geo has none. */
export function countryKey(geo: Geo): string | undefined {
  const cc = geo.country_code?.trim().toUpperCase();
  return cc ? cc : undefined;
}

/** The history key of a city, "CC/region/city" (region may be empty), or undefined without country and city. */
export function cityKey(geo: Geo): string | undefined {
  const cc = countryKey(geo);
  const city = geo.city?.trim();
  if (cc === undefined || !city) return undefined;
  return `${cc}/${geo.region?.trim() ?? ''}/${city}`;
}

// A geo without a country (private or reserved address, or no data for the IP) is never "new":
// we cannot tell where the sign-in came from, and calling it new would alert on every internal hop.

/** new_country: the sign-in's country has not been seen for the account within the history window. */
export function isNewCountry(ctx: SignInContext): boolean {
  const key = countryKey(ctx.geo);
  return key !== undefined && !seenWithin(ctx.history.countries, key, ctx.now, ctx.historyWindowMs);
}

/** new_city: the sign-in's city has not been seen for the account within the history window. */
export function isNewCity(ctx: SignInContext): boolean {
  const key = cityKey(ctx.geo);
  return key !== undefined && !seenWithin(ctx.history.cities, key, ctx.now, ctx.historyWindowMs);
}
