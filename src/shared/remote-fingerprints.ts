// Fingerprinting remote source images over HTTP: the origin's ETag, else its Last-Modified with the length,
// else a SHA-256 of the bytes. Bounded in every way a build needs: requests in flight, each request's time,
// the bytes read, and one total budget after which the answer is given whatever is still out. Nothing here
// throws for an origin's fault: each image is fingerprinted, or named with why not.
import { createHash } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import { interceptors, request, type Dispatcher } from 'undici'
import { isPrivateAddress } from '../core/private-address.js'
import { sameFingerprint, type RemoteFingerprint } from '../core/remote-images.js'
import { formatBytes, formatDuration } from './format.js'
import { createHttpClient, describeHttpError } from './http.js'
import { USER_AGENT } from './package.js'

export interface FingerprintOptions {
  /** The most the whole run may take, in ms: then it answers, and what was not done is named. */
  budgetMs: number
  /** Each request's most, in ms (connect, headers, body). */
  requestTimeoutMs: number
  /** Requests in flight at once. */
  concurrency: number
  /** The fingerprints of the last time, by URL: asked for conditionally (If-None-Match, If-Modified-Since). */
  previous?: Readonly<Record<string, RemoteFingerprint>>
  /** Fingerprint images whose host is a private address (Next.js's `images.dangerouslyAllowLocalIP`). */
  allowLocalIP?: boolean
  /** Largest body hashed when the origin sends no validator. Default 50 MiB (Next.js's `images.maximumResponseBody`). */
  maxBytes?: number
  /** Resolves a host name to its addresses, for the private-address rule. Default: the system's resolver. */
  resolve?: (hostname: string) => Promise<string[]>
}

export interface FingerprintFailure {
  url: string
  reason: string
}

export interface FingerprintRun {
  /** By URL, for every image fingerprinted. */
  fingerprints: Record<string, RemoteFingerprint>
  /** Images not fingerprinted this time, and why (an origin's fault or the budget). */
  failures: FingerprintFailure[]
  /** Images left out by rule: a private address without `allowLocalIP`. They are not shown to Vercel's optimizer. */
  excluded: FingerprintFailure[]
  /** Requests answered 304 Not Modified: the previous fingerprint holds, no bytes were sent. */
  notModified: number
  /** Fingerprints that differ from `previous`. */
  changed: string[]
  /** Body bytes hashed (of origins that send neither an ETag nor a Last-Modified). */
  bytesHashed: number
  durationMs: number
  /** The budget ran out before every image was done. */
  budgetExceeded: boolean
}

const DEFAULT_MAX_BYTES = 50 * 1024 * 1024
/** A body shorter than this is read to its end after the headers said enough, so that its connection is kept. */
const DRAIN_LIMIT = 64 * 1024
/** As many as Next.js's optimizer follows. */
const MAX_REDIRECTIONS = 3

/** Fingerprints `urls`, within `options.budgetMs`; never rejects. */
export async function fingerprintRemoteImages(urls: readonly string[], options: FingerprintOptions): Promise<FingerprintRun> {
  const started = performance.now()
  const run: FingerprintRun = {
    fingerprints: {},
    failures: [],
    excluded: [],
    notModified: 0,
    changed: [],
    bytesHashed: 0,
    durationMs: 0,
    budgetExceeded: false,
  }
  const budget = new AbortController()
  const client = createHttpClient({ retries: 1, minDelayMs: 100, maxDelayMs: 500, timeoutMs: options.requestTimeoutMs, connections: options.concurrency })
  const dispatcher = client.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }))
  const pending = new Set(urls)
  const queue = [...pending]
  const worker = async () => {
    for (let url = queue.shift(); url !== undefined && !budget.signal.aborted; url = queue.shift()) {
      await fingerprintOne(url, run, { ...options, dispatcher, budget: budget.signal })
      pending.delete(url)
    }
  }
  let timer: NodeJS.Timeout | undefined
  const outOfTime = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      budget.abort()
      resolve()
    }, options.budgetMs)
  })
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, urls.length)) }, worker)
  await Promise.race([Promise.all(workers), outOfTime])
  clearTimeout(timer)
  if (pending.size > 0) {
    run.budgetExceeded = true
    const within = `not fingerprinted within the budget of ${formatDuration(options.budgetMs)}`
    for (const url of pending) if (!run.failures.some((failure) => failure.url === url)) run.failures.push({ url, reason: within })
  }
  budget.abort()
  // Sockets still open (an origin that never answered) are cut, not waited for.
  void client.destroy().catch(() => {})
  run.durationMs = performance.now() - started
  // A copy: requests cut by the budget may still settle after this answer, and must not change it.
  return { ...run, fingerprints: { ...run.fingerprints }, failures: [...run.failures], excluded: [...run.excluded], changed: [...run.changed] }
}

interface RequestContext extends FingerprintOptions {
  dispatcher: Dispatcher
  budget: AbortSignal
}

async function fingerprintOne(url: string, run: FingerprintRun, context: RequestContext): Promise<void> {
  const target = new URL(url)
  if (!context.allowLocalIP) {
    const privateAddress = await privateAddressOf(target.hostname, context).catch(() => undefined)
    if (privateAddress) {
      run.excluded.push({ url, reason: `resolves to the private address ${privateAddress} (allowed by images.dangerouslyAllowLocalIP)` })
      return
    }
  }
  const previous = context.previous?.[url]
  const signal = AbortSignal.any([context.budget, AbortSignal.timeout(context.requestTimeoutMs)])
  try {
    const response = await request(target, {
      method: 'GET',
      dispatcher: context.dispatcher,
      signal,
      headers: { 'user-agent': USER_AGENT, accept: 'image/*,*/*;q=0.8', ...conditionalHeaders(previous) },
      throwOnMaxRedirect: true,
    } as Parameters<typeof request>[1])
    const fingerprint = await fingerprintOf(response, previous, run, context.maxBytes ?? DEFAULT_MAX_BYTES)
    if (typeof fingerprint === 'string') {
      run.failures.push({ url, reason: fingerprint })
      return
    }
    run.fingerprints[url] = fingerprint
    if (previous && !sameFingerprint(previous, fingerprint)) run.changed.push(url)
  } catch (error) {
    run.failures.push({ url, reason: describeFailure(error, signal, context) })
  }
}

/** The first private address `hostname` is, or resolves to; undefined when none is. */
async function privateAddressOf(hostname: string, context: RequestContext): Promise<string | undefined> {
  const literal = hostname.replace(/^\[|\]$/g, '')
  const addresses = isIP(literal) ? [literal] : await withBudget((context.resolve ?? resolveAll)(literal), context.budget)
  return addresses.find(isPrivateAddress)
}

async function resolveAll(hostname: string): Promise<string[]> {
  return (await lookup(hostname, { all: true })).map((record) => record.address)
}

/** `promise`, or a rejection as soon as the budget runs out (a DNS lookup cannot be aborted). */
function withBudget<T>(promise: Promise<T>, budget: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('the budget ran out'))
    budget.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => budget.removeEventListener('abort', onAbort))
  })
}

function conditionalHeaders(previous: RemoteFingerprint | undefined): Record<string, string> {
  if (!previous) return {}
  if ('etag' in previous) return { 'if-none-match': previous.etag }
  if ('lastModified' in previous) return { 'if-modified-since': previous.lastModified }
  return {}
}

/** The fingerprint an answer gives, or why it gives none. Reads no more of the body than it must. */
async function fingerprintOf(
  response: Dispatcher.ResponseData<unknown>,
  previous: RemoteFingerprint | undefined,
  run: FingerprintRun,
  maxBytes: number,
): Promise<RemoteFingerprint | string> {
  const { statusCode, headers, body } = response
  if (statusCode === 304 && previous) {
    await body.dump()
    run.notModified++
    return previous
  }
  if (statusCode !== 200) {
    await drain(body)
    return `HTTP ${statusCode}`
  }
  const etag = headerOf(headers.etag)
  const lastModified = headerOf(headers['last-modified'])
  const length = Number(headerOf(headers['content-length']))
  if (etag || (lastModified && Number.isSafeInteger(length))) {
    // The headers say enough: the bytes are not needed.
    await drain(body)
    return etag ? { etag } : { lastModified: lastModified!, size: length }
  }
  if (length > maxBytes) {
    body.destroy()
    return `is ${formatBytes(length)}, larger than the ${formatBytes(maxBytes)} an image may be`
  }
  return hashBody(body, run, maxBytes)
}

async function hashBody(body: Dispatcher.ResponseData<unknown>['body'], run: FingerprintRun, maxBytes: number): Promise<RemoteFingerprint | string> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    run.bytesHashed += chunk.byteLength
    // Leaving the loop closes the stream.
    if (size > maxBytes) return `sent more than the ${formatBytes(maxBytes)} an image may be`
    hash.update(chunk)
  }
  return { sha256: hash.digest('hex'), size }
}

/** Reads a small body to its end (its connection is kept), cuts a large one. */
async function drain(body: Dispatcher.ResponseData<unknown>['body']): Promise<void> {
  await body.dump({ limit: DRAIN_LIMIT }).catch(() => {})
}

function headerOf(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value
  return text?.trim() || undefined
}

function describeFailure(error: unknown, signal: AbortSignal, context: RequestContext): string {
  if (context.budget.aborted) return `not fingerprinted within the budget of ${formatDuration(context.budgetMs)}`
  if (signal.aborted) return `no complete answer within ${formatDuration(context.requestTimeoutMs)}`
  const message = (error as Error).message ?? ''
  if (message.includes('Redirect loop')) return 'redirects in a loop'
  if (message === 'max redirects') return `more than ${MAX_REDIRECTIONS} redirects`
  return describeHttpError(error)
}
