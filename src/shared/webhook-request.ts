// What every webhook route of this package does with a request before it trusts it, and how it answers:
// the deploy webhook (apply/webhook.ts) and the asset webhook (remote/asset-webhook.ts).
import { createHash, timingSafeEqual } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

/** A JSON answer. The body must never hold a secret or a token: callers put reasons and URLs in it. */
export function reply(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

/**
 * The raw body, or undefined once it passes `maxBytes` (the rest is not read). A `content-length` over the
 * limit is refused before reading; one that lies is caught while reading.
 */
export async function readBoundedBody(request: Request, maxBytes: number): Promise<Uint8Array | undefined> {
  if (Number(request.headers.get('content-length')) > maxBytes) return undefined
  if (!request.body) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

/**
 * Whether two secrets or signatures are equal, in a time that depends on neither: both are hashed to the
 * same length first, so not even their lengths are compared early.
 */
export function safeEqual(given: string | Uint8Array, expected: string | Uint8Array): boolean {
  const digest = (value: string | Uint8Array) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/** How long a route's work may run before the route answers anyway: within Vercel's 30 seconds. */
export const DEFAULT_DEADLINE_MS = 25_000

/** What `work` settles to, or undefined once `deadlineMs` has passed first (the work goes on). */
export async function settledWithin<T>(work: Promise<T>, deadlineMs = DEFAULT_DEADLINE_MS): Promise<T | undefined> {
  const stop = new AbortController()
  const deadline = sleep(deadlineMs, undefined, { signal: stop.signal }).catch(() => undefined)
  try {
    return await Promise.race([work, deadline])
  } finally {
    stop.abort()
  }
}
