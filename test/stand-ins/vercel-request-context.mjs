// @ts-check
/**
 * Preloaded into a `next start` (`node --import`), this installs the request context the way Vercel's runtime
 * does for a function: one context per request, kept in an AsyncLocalStorage and exposed through
 * `globalThis[Symbol.for('@vercel/request-context')].get()`, which is where `@vercel/functions` looks for it
 * (its get-context.js). The context's `purge.invalidateBySrcImage` sends to the API stand-in, as Vercel's
 * runtime sends for the deployment's project, so that the stand-in records what `@vercel/functions` passed on.
 *
 *   TEST_PURGE_API_URL, TEST_PURGE_TOKEN, TEST_PURGE_PROJECT   where the purge goes, and as whom
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import http from 'node:http'

const storage = new AsyncLocalStorage()
const symbol = Symbol.for('@vercel/request-context')
const global = /** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (globalThis))
global[symbol] = { get: () => storage.getStore() }

/** @param {string | string[]} src */
async function invalidateBySrcImage(src) {
  const url = new URL('/v1/edge-cache/invalidate-by-src-images', process.env.TEST_PURGE_API_URL)
  url.searchParams.set('projectIdOrName', process.env.TEST_PURGE_PROJECT ?? '')
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${process.env.TEST_PURGE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ srcImages: Array.isArray(src) ? src : [src] }),
  })
  if (!response.ok) throw new Error(`purge answered ${response.status}`)
}

/** @type {(this: unknown, event: string, ...args: unknown[]) => boolean} */
const emit = /** @type {never} */ (http.Server.prototype.emit)
/** Every request the server handles runs inside its own context, as a function invocation does on Vercel. */
http.Server.prototype.emit = /** @type {never} */ (
  function (/** @type {string} */ event, /** @type {unknown[]} */ ...args) {
    if (event !== 'request') return emit.apply(this, [event, ...args])
    /** @type {Promise<unknown>[]} */
    const pending = []
    const context = { waitUntil: (/** @type {Promise<unknown>} */ promise) => void pending.push(promise), purge: { invalidateBySrcImage } }
    return storage.run(context, () => emit.apply(this, [event, ...args]))
  }
)
