/** A value shown in an error message: numbers and short strings as they are, anything else by its type. Never throws. */
export function shownValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `a value of type ${typeof value}`;
}

/** The message of anything thrown (user code may throw anything), without throwing again. */
export function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an error that cannot be shown';
  }
}
