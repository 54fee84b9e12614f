import { rememberSignIn } from '../../src/risk/assess.js';
import { cityKey, countryKey, isNewCity, isNewCountry } from '../../src/risk/new-place.js';
import { seenWithin } from '../../src/risk/seen.js';
import { DAY, LONDON, MANCHESTER, PARIS, PRIVATE, signIn, T0 } from './risk-context.js';

describe('place keys', () => {
  it('keys a city by country, region and city', () => {
    expect(cityKey(LONDON)).toBe('GB/England/London');
    expect(cityKey({ network: 'public', country_code: 'sg', city: 'Singapore' })).toBe('SG//Singapore');
  });

  it('has no key without a country or a city', () => {
    expect(cityKey(PRIVATE)).toBeUndefined();
    expect(cityKey({ network: 'public', country_code: 'GB' })).toBeUndefined();
    expect(cityKey({ network: 'public', city: 'London' })).toBeUndefined();
    expect(countryKey({ network: 'public', country_code: '  ' })).toBeUndefined();
  });
});

describe('new country and city', () => {
  const london = signIn(T0);
  const known = rememberSignIn(london.history, london);

  it('are both new on a first sign-in', () => {
    expect(isNewCountry(london)).toBe(true);
    expect(isNewCity(london)).toBe(true);
  });

  it('are not new in a place seen within the window', () => {
    const again = signIn(T0 + 10 * DAY, { history: known });
    expect(isNewCountry(again)).toBe(false);
    expect(isNewCity(again)).toBe(false);
  });

  it('flags a new city in a known country without flagging the country', () => {
    const manchester = signIn(T0 + DAY, { history: known, geo: MANCHESTER });
    expect(isNewCountry(manchester)).toBe(false);
    expect(isNewCity(manchester)).toBe(true);
  });

  it('flags a new country and its city', () => {
    const paris = signIn(T0 + DAY, { history: known, geo: PARIS });
    expect(isNewCountry(paris)).toBe(true);
    expect(isNewCity(paris)).toBe(true);
  });

  it('are new again after 91 days away', () => {
    const back = signIn(T0 + 91 * DAY, { history: known });
    expect(isNewCountry(back)).toBe(true);
    expect(isNewCity(back)).toBe(true);
  });

  it('are never new when the geo has no country (private network, no data)', () => {
    expect(isNewCountry(signIn(T0, { geo: PRIVATE }))).toBe(false);
    expect(isNewCity(signIn(T0, { geo: PRIVATE }))).toBe(false);
  });

  it('does not mistake object prototype names for seen keys', () => {
    expect(seenWithin({}, 'constructor', T0, 90 * DAY)).toBe(false);
    expect(seenWithin({}, '__proto__', T0, 90 * DAY)).toBe(false);
    expect(isNewCountry(signIn(T0, { geo: { network: 'public', country_code: 'constructor' } }))).toBe(true);
  });
});
