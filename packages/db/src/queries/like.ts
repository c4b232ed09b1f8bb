/** Escapes LIKE wildcards (% _) and the escape character, so a typed id prefix matches literally. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
