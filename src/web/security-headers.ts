import type { FastifyInstance } from "fastify";

/**
 * The dashboard's Content-Security-Policy: scripts, styles and connections
 * from our own origin only (Vite emits no inline script), no plugins, no
 * <base> rewriting, and no framing by anyone (clickjacking).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Everything that is not the dashboard's HTML (API JSON, SSE, files) may load nothing at all. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Adds the browser-hardening headers to every response: CSP (the strict
 * dashboard policy on HTML, deny-all elsewhere), nosniff, no Referer, no
 * framing, same-origin opener and resource policies; HSTS when served over
 * https. Hijacked responses (SSE streams) set their own headers and get
 * nosniff there.
 */
export function installSecurityHeaders(app: FastifyInstance, opts: { https: boolean }): void {
  app.addHook("onSend", (_request, reply, payload, done) => {
    const type = String(reply.getHeader("content-type") ?? "");
    // A 304 has no body and no type, and its headers replace the cached response's (RFC 9111
    // 4.3.4): a deny-all CSP on it would turn a reloaded dashboard page blank. It keeps the cached one.
    if (reply.statusCode !== 304) {
      reply.header("content-security-policy", type.startsWith("text/html") ? DASHBOARD_CSP : API_CSP);
    }
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    reply.header("cross-origin-opener-policy", "same-origin");
    reply.header("cross-origin-resource-policy", "same-origin");
    if (opts.https) reply.header("strict-transport-security", "max-age=31536000");
    done(null, payload);
  });
}
