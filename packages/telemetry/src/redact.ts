/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

// Field names that carry credentials wherever they appear (apiKey, NATS_PASSWORD, authorization, workerToken...).
const SECRET_NAME = /token|password|passwd|secret|authorization|cookie|credential|key$|^key|apikey|api_key|private/i;
// ...except names that only describe one (a key id, a public key, a token count).
const HARMLESS_NAME = /^(keyid|publickeypem|publickey|tokens|\w*tokens)$/i;

/** True when a field of this name must never be written out as is. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !HARMLESS_NAME.test(name);
}

/**
 * Copies `value` with every string (or object) under a secret-looking key replaced by {@link REDACTED}, at any
 * depth. Numbers and booleans stay: a token count is not a token.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const hidden =
      isSecretName(key) && v !== null && v !== undefined && typeof v !== "number" && typeof v !== "boolean";
    out[key] = hidden ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}
