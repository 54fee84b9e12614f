// Locale choice: which template set speaks to the person, and which Intl locale formats dates and
// country names for them. Templates exist per language variant (en, pt-BR); a request for another
// variant of a language we have (pt, pt-PT, en-US) uses that language's templates, everything else
// falls back to the default. Intl keeps the person's own variant when it is the same language, so
// an en-US reader gets "November 24, 2:05 PM" while the English templates serve everyone.

/** The template set and the Intl locale chosen for one person. */
export interface ResolvedLocale {
  /** a directory name under templates/ */
  template: string;
  /** the BCP 47 tag given to Intl formatters */
  intl: string;
}

/** Picks the best available template locale for `requested` (BCP 47, possibly invalid or missing). */
export function resolveLocale(
  requested: string | undefined,
  available: readonly string[],
  fallback: string,
  defaultIntl: (template: string) => string,
): ResolvedLocale {
  const canonical = canonicalise(requested);
  if (canonical === undefined) return { template: fallback, intl: defaultIntl(fallback) };
  const exact = available.find((l) => l.toLowerCase() === canonical.toLowerCase());
  if (exact !== undefined) return { template: exact, intl: defaultIntl(exact) };
  const language = languageOf(canonical);
  // Prefer the available variant listed first for that language (the directory order is sorted,
  // so a future pt-PT set would be matched exactly above and pt-BR stays the generic Portuguese).
  const sameLanguage = available.find((l) => languageOf(l) === language);
  if (sameLanguage === undefined) return { template: fallback, intl: defaultIntl(fallback) };
  const regional =
    canonical.includes('-') && Intl.DateTimeFormat.supportedLocalesOf([canonical]).length === 1;
  return { template: sameLanguage, intl: regional ? canonical : defaultIntl(sameLanguage) };
}

function canonicalise(tag: string | undefined): string | undefined {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > 35) return undefined;
  try {
    return Intl.getCanonicalLocales(tag.replace(/_/g, '-'))[0];
  } catch {
    return undefined;
  }
}

function languageOf(tag: string): string {
  return (tag.split('-')[0] ?? '').toLowerCase();
}
