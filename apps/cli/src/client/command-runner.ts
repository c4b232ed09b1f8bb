/** Runs one CLI command (named for its trace span) and exits with the code it returns. */
export type CommandRunner = (name: string, command: () => Promise<number>) => void;
