/**
 * Headers on every answer of the console listener. Everything a run produced is untrusted: the CSP forbids inline
 * script and any origin but ours, nosniff stops a browser from reading JSON or a patch as HTML.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};
