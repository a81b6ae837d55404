/**
 * Turning whatever a check threw or returned into a line of text, without ever
 * throwing: the value is user data (a revoked Proxy, an Error whose `message`
 * getter throws, a 10 MB string).
 */

/** Longest failure text kept in a {@link CheckResult}; the rest is cut. */
export const MAX_FAILURE_TEXT_LENGTH = 1024;

/** Cuts `text` to {@link MAX_FAILURE_TEXT_LENGTH} characters. */
export function capText(text: string): string {
  return text.length <= MAX_FAILURE_TEXT_LENGTH ? text : `${text.slice(0, MAX_FAILURE_TEXT_LENGTH)}…`;
}

/** A short rendering of any value; never throws. */
export function describeValue(value: unknown): string {
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return capText(json);
  } catch {
    // cyclic, BigInt, a throwing toJSON or getter: try String()
  }
  try {
    return capText(String(value));
  } catch {
    return `a value of type ${typeof value} that cannot be shown`;
  }
}

/** Why a check failed, from what it threw or rejected with; never throws. */
export function thrownText(error: unknown): string {
  try {
    if (error instanceof Error) {
      const text = error.message || error.name;
      if (typeof text === 'string' && text !== '') return capText(text);
    }
  } catch {
    // a revoked Proxy, a throwing getter
  }
  return `check threw ${describeValue(error)}`;
}
