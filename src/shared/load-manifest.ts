import { open } from 'node:fs/promises'
import { request, type Dispatcher } from 'undici'
import { ManifestError, parseManifest, type Manifest } from '../core/manifest.js'
import { formatBytes, formatDuration } from './format.js'
import { BodyTooLargeError, createHttpClient, describeHttpError, readTextLimited } from './http.js'
import { isUrl } from '../core/url.js'
import { USER_AGENT } from './package.js'

/** Largest manifest read: about 100,000 images. A bigger document is refused, not buffered. */
const DEFAULT_MAX_MANIFEST_BYTES = 32 * 1024 * 1024

export type ManifestLoad =
  | { kind: 'found'; source: string; manifest: Manifest }
  /** No manifest there (file absent, HTTP 404 or 410): for a baseline, a first deploy. */
  | { kind: 'missing'; source: string; reason: string }
  /** Something is there but it is not a manifest this package can read. */
  | { kind: 'invalid'; source: string; reason: string }
  /** It could not be read (network error, 5xx after retries, 401/403, permission denied, `timeoutMs` ran out). */
  | { kind: 'unreachable'; source: string; reason: string; timedOut?: true }

export interface LoadManifestOptions {
  maxBytes?: number
  /** Extra request headers (protection bypass). Their values never appear in results. */
  headers?: Record<string, string>
  /** Ask caches along the way for a fresh copy, and add a cache-busting query. */
  fresh?: boolean
  /**
   * The whole fetch, retries included, ends by then: a site that accepts connections and never answers
   * must not hold a build for long. Default: none beyond the per-request timeouts.
   */
  timeoutMs?: number
  dispatcher?: Dispatcher
}

/** Loads a manifest from an `http(s)://` URL or a file path. Never throws: every outcome is a `ManifestLoad`. */
export async function loadManifest(source: string, options: LoadManifestOptions = {}): Promise<ManifestLoad> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MANIFEST_BYTES
  let text: string
  if (isUrl(source)) {
    const loaded = await fetchText(source, maxBytes, options)
    if (typeof loaded !== 'string') return loaded
    text = loaded
  } else {
    const loaded = await readText(source, maxBytes)
    if (typeof loaded !== 'string') return loaded
    text = loaded
  }
  try {
    return { kind: 'found', source, manifest: parseManifest(text) }
  } catch (error) {
    if (error instanceof ManifestError) return { kind: 'invalid', source, reason: error.message }
    throw error
  }
}

async function fetchText(url: string, maxBytes: number, options: LoadManifestOptions): Promise<string | ManifestLoad> {
  const target = new URL(url)
  if (options.fresh) target.searchParams.set('_', Date.now().toString(36))
  // A pool of our own is closed when done, so that no idle keep-alive socket holds the build open.
  const dispatcher = options.dispatcher ?? createHttpClient({ retries: 2, timeoutMs: options.timeoutMs && Math.min(options.timeoutMs, 15_000) })
  const budget = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs)
  try {
    const response = await request(target, {
      method: 'GET',
      dispatcher,
      signal: budget,
      headers: {
        accept: 'application/json',
        'user-agent': USER_AGENT,
        ...(options.fresh ? { 'cache-control': 'no-cache' } : {}),
        ...options.headers,
      },
    })
    if (response.statusCode === 404 || response.statusCode === 410) {
      await response.body.dump()
      return { kind: 'missing', source: url, reason: `HTTP ${response.statusCode}` }
    }
    if (response.statusCode !== 200) {
      await response.body.dump()
      const hint = response.statusCode === 401 || response.statusCode === 403 ? ' (a protected deployment needs VERCEL_AUTOMATION_BYPASS_SECRET)' : ''
      return { kind: 'unreachable', source: url, reason: `HTTP ${response.statusCode}${hint}` }
    }
    const length = Number(response.headers['content-length'])
    if (length > maxBytes) {
      discard(response.body)
      return { kind: 'invalid', source: url, reason: `is ${formatBytes(length)}, larger than the limit of ${formatBytes(maxBytes)}` }
    }
    return await readTextLimited(response.body, maxBytes)
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { kind: 'invalid', source: url, reason: error.message }
    if (budget?.aborted)
      return { kind: 'unreachable', source: url, reason: `gave no complete answer within ${formatDuration(options.timeoutMs!)}`, timedOut: true }
    return { kind: 'unreachable', source: url, reason: describeHttpError(error) }
  } finally {
    if (!options.dispatcher) await dispatcher.close()
  }
}

async function readText(file: string, maxBytes: number): Promise<string | ManifestLoad> {
  let handle
  try {
    handle = await open(file, 'r')
    const { size } = await handle.stat()
    if (size > maxBytes) return { kind: 'invalid', source: file, reason: `is ${formatBytes(size)}, larger than the limit of ${formatBytes(maxBytes)}` }
    return await handle.readFile('utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { kind: 'missing', source: file, reason: 'no such file' }
    if (code === 'EISDIR') return { kind: 'invalid', source: file, reason: 'is a directory' }
    return { kind: 'unreachable', source: file, reason: (error as Error).message }
  } finally {
    await handle?.close()
  }
}

/** Drops a response body without reading it; the abort it causes is expected, not an error. */
function discard(body: { on(event: 'error', listener: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => {})
  body.destroy()
}
