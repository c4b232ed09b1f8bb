/** One cluster the CLI knows how to reach: what `pancode login` saves and `--context <name>` selects. */
export interface Context {
  name: string;
  /** host:port of the coordinator. */
  address: string;
  token: string;
  /** The CA certificate (PEM) the coordinator's TLS certificate is checked against; absent = plaintext. */
  ca?: string;
}

/** The contents of config.yaml. */
export interface PancodeConfig {
  /** The context used when neither --context, PANCODE_CONTEXT nor PANCODE_COORDINATOR/PANCODE_TOKEN say otherwise. */
  current?: string;
  contexts: Context[];
}

export const EMPTY_CONFIG: PancodeConfig = { contexts: [] };

/** A one-line "unknown context" message that lists the known ones, so the user can pick. */
export function unknownContextMessage(name: string, config: PancodeConfig): string {
  const known = config.contexts.map((c) => c.name);
  return known.length > 0
    ? `unknown context "${name}" (known: ${known.join(", ")})`
    : `unknown context "${name}" (no contexts yet: pancode login <address>)`;
}
