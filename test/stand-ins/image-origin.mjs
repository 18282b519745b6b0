// @ts-check
/**
 * A loopback stand-in for an image origin (a CMS's CDN, a bucket): it serves images by path, each with
 * the validators a real origin sends (an ETag, a Last-Modified, or neither), answers conditional requests
 * with 304, and can misbehave as origins do (hang, 5xx, redirect in a loop, send gigabytes). It counts
 * what it was asked and what it sent, so that a test or the bench can say what a run cost the origin.
 * Used by tests and by `npm run bench`.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'

/**
 * @typedef {'etag' | 'last-modified' | 'none' | 'hang' | 'error' | 'redirect-loop' | 'huge'} Behaviour
 * @typedef {{ bytes: Buffer, behaviour: Behaviour, modified: Date }} Image
 * @typedef {{
 *   origin: string,
 *   url(path: string): string,
 *   set(path: string, bytes: Buffer | string, behaviour?: Behaviour): void,
 *   stats: { requests: number, conditional: number, notModified: number, bodyBytes: number },
 *   requestsFor(path: string): number,
 *   close(): Promise<void>,
 * }} ImageOrigin
 */

/**
 * @param {{ latencyMs?: number }} [options] `latencyMs`: each answer waits this long first, as a distant origin does.
 * @returns {Promise<ImageOrigin>}
 */
export async function startImageOrigin(options = {}) {
  /** @type {Map<string, Image>} */
  const images = new Map()
  /** @type {Map<string, number>} */
  const perPath = new Map()
  const stats = { requests: 0, conditional: 0, notModified: 0, bodyBytes: 0 }
  let modifiedAt = Date.parse('2026-01-01T00:00:00Z')

  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://origin').pathname
    stats.requests++
    perPath.set(pathname, (perPath.get(pathname) ?? 0) + 1)
    const answer = () => serve(pathname, req, res)
    if (options.latencyMs) setTimeout(answer, options.latencyMs)
    else answer()
  })

  /**
   * @param {string} pathname
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  function serve(pathname, req, res) {
    const image = images.get(pathname)
    if (!image) return void res.writeHead(404).end('not found')
    const etag = `"${createHash('sha256').update(image.bytes).digest('hex').slice(0, 16)}"`
    const lastModified = image.modified.toUTCString()
    switch (image.behaviour) {
      case 'hang':
        return // never answers
      case 'error':
        return void res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable')
      case 'redirect-loop':
        return void res.writeHead(302, { location: pathname }).end()
      case 'huge':
        return void sendHuge(res)
    }
    const conditional = image.behaviour === 'etag' ? req.headers['if-none-match'] : req.headers['if-modified-since']
    if (conditional !== undefined && image.behaviour !== 'none') stats.conditional++
    const fresh =
      (image.behaviour === 'etag' && conditional === etag) || (image.behaviour === 'last-modified' && conditional !== undefined && conditional === lastModified)
    /** @type {Record<string, string | number>} */
    const headers = { 'content-type': 'image/png' }
    if (image.behaviour === 'etag') headers.etag = etag
    if (image.behaviour === 'last-modified') headers['last-modified'] = lastModified
    if (fresh) {
      stats.notModified++
      return void res.writeHead(304, headers).end()
    }
    // An origin without validators streams (chunked): no length either.
    if (image.behaviour !== 'none') headers['content-length'] = image.bytes.length
    stats.bodyBytes += image.bytes.length
    res.writeHead(200, headers).end(image.bytes)
  }

  /** 2 GiB announced and streamed, without a validator, until the client goes. */
  function sendHuge(/** @type {import('node:http').ServerResponse} */ res) {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(2 * 1024 ** 3) })
    const chunk = Buffer.alloc(64 * 1024)
    const write = () => {
      while (!res.destroyed && res.write(chunk)) stats.bodyBytes += chunk.length
      if (!res.destroyed) res.once('drain', write)
    }
    write()
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  const origin = `http://127.0.0.1:${address.port}`
  return {
    origin,
    url: (path) => `${origin}${path}`,
    set(path, bytes, behaviour = 'etag') {
      modifiedAt += 1000
      images.set(path, { bytes: Buffer.from(bytes), behaviour, modified: new Date(modifiedAt) })
    },
    stats,
    requestsFor: (path) => perPath.get(path) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve(undefined))
      }),
  }
}
