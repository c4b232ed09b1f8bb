/** Bad usage of a service command (a flag or variable out of range): one line on stderr and exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
