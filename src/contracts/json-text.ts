import { decodeJson } from './decode.js';

/** One item of a JSON text: its value, or why its line is not JSON. */
export type JsonTextItem = { line: number; value?: unknown; error?: string };

/** Splits a JSON array, a single JSON object, or JSON lines into items with their line numbers. */
export function parseEventsText(text: string): JsonTextItem[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const json = decodeJson(trimmed, Number.MAX_SAFE_INTEGER);
    if (!json.ok) return [{ line: 1, error: json.message }];
    if (!Array.isArray(json.value)) return [{ line: 1, error: 'expected an array of events' }];
    return json.value.map((value, i) => ({ line: i + 1, value }));
  }
  const whole = decodeJson(trimmed, Number.MAX_SAFE_INTEGER);
  if (whole.ok && trimmed.includes('\n')) return [{ line: 1, value: whole.value }];
  return text
    .split('\n')
    .map((raw, i) => ({ raw: raw.trim(), line: i + 1 }))
    .filter((l) => l.raw !== '')
    .map(({ raw, line }) => {
      const json = decodeJson(raw, Number.MAX_SAFE_INTEGER);
      return json.ok ? { line, value: json.value } : { line, error: json.message };
    });
}
