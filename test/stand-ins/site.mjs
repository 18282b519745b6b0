// @ts-check
/**
 * A loopback stand-in for a production site on Vercel: it serves one build output folder (the live
 * deployment) and can be flipped to another, as a promotion does. Used by tests.
 */
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * @typedef {{ method: string, url: string, headers: import('node:http').IncomingHttpHeaders }} RecordedRequest
 * @typedef {{
 *   origin: string,
 *   requests: RecordedRequest[],
 *   connections(): number,
 *   serve(dir: string | null): void,
 *   promoteIn(delayMs: number, dir: string): { readonly at: number },
 *   failNext(statuses: number[]): void,
 *   close(): Promise<void>,
 * }} SiteStandIn
 */

/**
 * `keepAliveMs`: how long an idle connection is kept, announced in `Keep-Alive: timeout=`, which undici
 * takes as its own idle timeout less 2 s. Node's default, 5 s, leaves a client polling every 2 s a margin
 * of 1 s; a real site may keep connections far longer.
 * @param {{ dir?: string | null, bypassSecret?: string, keepAliveMs?: number }} [options]
 * @returns {Promise<SiteStandIn>}
 */
export async function startSite(options = {}) {
  /** @type {string | null} */
  let live = options.dir ?? null
  /** @type {number[]} */
  let faults = []
  /** @type {RecordedRequest[]} */
  const requests = []

  const server = createServer(async (req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers })
    const fault = faults.shift()
    if (fault) return void res.writeHead(fault, { 'content-type': 'text/plain' }).end('injected fault')
    if (options.bypassSecret && req.headers['x-vercel-protection-bypass'] !== options.bypassSecret) {
      return void res.writeHead(401, { 'content-type': 'text/plain' }).end('Authentication Required')
    }
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://site').pathname)
    if (!live || pathname.includes('..')) return void res.writeHead(404).end('not found')
    try {
      const body = await readFile(path.join(live, pathname))
      const type = pathname.endsWith('.json') ? 'application/json' : 'application/octet-stream'
      res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body)
    } catch {
      res.writeHead(404).end('not found')
    }
  })
  if (options.keepAliveMs !== undefined) server.keepAliveTimeout = options.keepAliveMs
  let connections = 0
  server.on('connection', () => connections++)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())

  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    // TCP connections accepted so far: polls that share a keep-alive pool need one.
    connections: () => connections,
    serve(dir) {
      live = dir
    },
    // Serves `dir` after a delay, as a promotion does some time after a deploy; `at` is when it happened
    // (Infinity until then), so a test can check that nothing was sent before.
    promoteIn(delayMs, dir) {
      const promotion = { at: Infinity }
      setTimeout(() => {
        promotion.at = Date.now()
        live = dir
      }, delayMs)
      return promotion
    },
    failNext(statuses) {
      faults = [...statuses]
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
