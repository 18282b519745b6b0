import { Agent, RetryAgent, type Dispatcher } from 'undici'
import { ImageInvalidateError } from '../core/errors.js'
import { formatBytes } from './format.js'

/**
 * One place for how this package talks HTTP: a keep-alive pool with connect, header and body timeouts,
 * wrapped in undici's RetryAgent so that 429, 5xx, timeouts and resets are retried with exponential
 * backoff plus jitter, honouring `Retry-After`.
 */
export interface HttpOptions {
  /** Retries after the first attempt. */
  retries?: number
  /** First backoff, in ms; doubles each retry. */
  minDelayMs?: number
  /** Longest wait between two attempts, `Retry-After` included. */
  maxDelayMs?: number
  /** Connect, response-headers and body-idle timeouts, in ms. */
  timeoutMs?: number
  /** Connections per origin. */
  connections?: number
  /** Methods that may be retried; the invalidate POST is idempotent, so callers may add it. */
  methods?: Dispatcher.HttpMethod[]
  /** Called before each retry, with why it happens. */
  onRetry?: (reason: string, delayMs: number) => void
}

const RETRY_STATUS_CODES = [429, 500, 502, 503, 504]
const RETRY_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
])

export function createHttpClient(options: HttpOptions = {}): Dispatcher {
  const timeout = options.timeoutMs ?? 15_000
  const agent = new Agent({
    connect: { timeout },
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connections: options.connections ?? 8,
    keepAliveTimeout: 4_000,
  })
  const retries = options.retries ?? 3
  const minDelay = options.minDelayMs ?? 500
  const maxDelay = options.maxDelayMs ?? 30_000
  const methods = options.methods ?? ['GET', 'HEAD']

  return new RetryAgent(agent, {
    maxRetries: retries,
    methods,
    statusCodes: RETRY_STATUS_CODES,
    errorCodes: [...RETRY_ERROR_CODES],
    // undici's default retry has no jitter; this one adds it, and reports each retry.
    retry(error, { state, opts }, callback) {
      const { statusCode, code, headers } = error as Error & {
        statusCode?: number
        code?: string
        headers?: Record<string, string | string[] | undefined>
      }
      const retryable =
        (statusCode !== undefined ? RETRY_STATUS_CODES.includes(statusCode) : code !== undefined && RETRY_ERROR_CODES.has(code)) &&
        methods.includes(opts.method as Dispatcher.HttpMethod) &&
        state.counter <= retries
      if (!retryable) return callback(error)
      const hinted = retryAfterMs(headers?.['retry-after'])
      const backoff = minDelay * 2 ** (state.counter - 1)
      const delay = Math.min(maxDelay, hinted ?? backoff * (0.5 + Math.random() / 2))
      options.onRetry?.(statusCode !== undefined ? `HTTP ${statusCode}` : (code ?? error.message), delay)
      setTimeout(() => callback(null), delay)
    },
  })
}

/** `Retry-After` as a delay in ms: seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (!raw) return undefined
  const seconds = Number(raw)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Reads a response body as text, refusing one larger than `maxBytes` without buffering it. */
export async function readTextLimited(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.byteLength
    // Leaving the loop early closes the stream.
    if (size > maxBytes) throw new BodyTooLargeError(maxBytes)
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks).toString('utf8')
}

export class BodyTooLargeError extends ImageInvalidateError {
  override name = 'BodyTooLargeError'
  constructor(readonly maxBytes: number) {
    super('IMAGE_INVALIDATE_BODY_TOO_LARGE', `is larger than ${formatBytes(maxBytes)}`)
  }
}

/**
 * A short, secret-free description of a failed request (undici errors may carry request headers): the status,
 * or the error's code and where it went (`ECONNREFUSED (127.0.0.1:9)`, `ENOTFOUND (api.example.com)`).
 */
export function describeHttpError(error: unknown): string {
  const { statusCode, code, message, address, port, hostname } = error as {
    statusCode?: number
    code?: string
    message?: string
    address?: string
    port?: number
    hostname?: string
  }
  if (statusCode !== undefined) return `HTTP ${statusCode}`
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `timed out (${code})`
  const where = address ? `${address}${port ? `:${port}` : ''}` : hostname
  if (code && where) return `${code} (${where})`
  if (code) return `${code}${message ? `: ${message}` : ''}`
  return message ?? String(error)
}
