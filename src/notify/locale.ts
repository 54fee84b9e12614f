// Locale choice: which catalog speaks to the person, and which Intl locale formats dates and country
// names for them. A request matches a catalog of the same language written in the same script
// (pt-PT → pt-BR, es-419 → es, fr-CA → fr, zh-SG → zh-CN); a different script is a different
// written language (zh-TW and zh-HK are Traditional Chinese: no catalog, so the default, English),
// and everything unknown falls back to the default. Intl keeps the person's own regional variant
// when it is the same language and script, so an es-MX reader gets Mexican dates from the es catalog.

/** The catalog and the Intl locale chosen for one person. */
export interface ResolvedLocale {
  /** a catalog name under templates/messages/ */
  template: string;
  /** the BCP 47 tag given to Intl formatters */
  intl: string;
}

/** Picks the best available catalog for `requested` (BCP 47, possibly invalid or missing). */
export function resolveLocale(
  requested: string | undefined,
  available: readonly string[],
  fallback: string,
  defaultIntl: (template: string) => string,
): ResolvedLocale {
  const canonical = canonicalise(requested);
  const fallen = { template: fallback, intl: defaultIntl(fallback) };
  if (canonical === undefined) return fallen;
  const exact = available.find((l) => l.toLowerCase() === canonical.toLowerCase());
  if (exact !== undefined) return { template: exact, intl: defaultIntl(exact) };
  const wanted = languageAndScript(canonical);
  if (wanted === undefined) return fallen;
  // The first available catalog of that language and script (the list is sorted; none has two today).
  const same = available.find((l) => languageAndScript(l) === wanted);
  if (same === undefined) return fallen;
  const regional =
    canonical.includes('-') && Intl.DateTimeFormat.supportedLocalesOf([canonical]).length === 1;
  return { template: same, intl: regional ? canonical : defaultIntl(same) };
}

function canonicalise(tag: string | undefined): string | undefined {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > 35) return undefined;
  try {
    return Intl.getCanonicalLocales(tag.replace(/_/g, '-'))[0];
  } catch {
    return undefined;
  }
}

// "zh-TW" → "zh-Hant", "pt-PT" → "pt-Latn": CLDR's likely subtags fill in the script.
function languageAndScript(tag: string): string | undefined {
  try {
    const max = new Intl.Locale(tag).maximize();
    return `${max.language}-${max.script ?? ''}`;
  } catch {
    return undefined;
  }
}
