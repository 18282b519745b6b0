import { setTimeout as sleep } from 'node:timers/promises'
import { ImageInvalidateError } from '../core/errors.js'
import { isAllowedRemoteImage } from '../core/remote-patterns.js'
import { readBoundedBody, reply } from '../shared/webhook-request.js'
import { PROVIDER_MARKS, type AssetProviderModule, type ParsedAsset } from './asset-webhook-provider.js'
import { loadAppImageRules, type AppImageRules } from './asset-webhook-images.js'
import { chooseSender, type SendOutcome } from './asset-webhook-send.js'
import type { AssetWebhookAsset, AssetWebhookOptions, AssetWebhookProvider } from '../types.js'

type Handler = (request: Request) => Promise<Response>

/** Each provider's module, loaded on the first request: a route loads what its provider needs, not every provider. */
const PROVIDERS: Readonly<Record<AssetWebhookProvider, () => Promise<AssetProviderModule>>> = {
  contentful: async () => (await import('./providers/contentful.js')).contentful,
  strapi: async () => (await import('./providers/strapi.js')).strapi,
  contentstack: async () => (await import('./providers/contentstack.js')).contentstack,
  storyblok: async () => (await import('./providers/storyblok.js')).storyblok,
  cloudinary: async () => (await import('./providers/cloudinary.js')).cloudinary,
  generic: async () => (await import('./providers/generic.js')).generic,
}

/** A URL skipped, and why. */
interface Skipped {
  url: string
  reason: string
}

/**
 * A Fetch API handler for a CMS's or a storage service's asset events: `export const POST =
 * createAssetWebhookHandler({ provider: 'contentful' })` in a Next.js route, or an Astro, SvelteKit or Nuxt
 * server route. It checks the request as its provider signs it before reading the body, reads which asset
 * changed, keeps the source URLs the app's image config lets Vercel optimize, and invalidates them on
 * Vercel's image CDN. Sending a URL twice is harmless, so redeliveries need no bookkeeping.
 */
export function createAssetWebhookHandler(options: AssetWebhookOptions): Handler {
  const load = Object.hasOwn(PROVIDERS, options?.provider) ? PROVIDERS[options.provider] : undefined
  if (!load) {
    const names = Object.keys(PROVIDERS).join(', ')
    throw new ImageInvalidateError(
      'IMAGE_INVALIDATE_ASSET_PROVIDER',
      `createAssetWebhookHandler: provider ${JSON.stringify(options?.provider)} is not one of ${names}`,
    )
  }
  let provider: Promise<AssetProviderModule> | undefined
  let imageRules: Promise<AppImageRules> | undefined
  const context: HandlerContext = {
    options,
    env: options.env ?? process.env,
    provider: () => (provider ??= load()),
    // Read once: the config is the build's, and does not change while the function runs.
    imageRules: () => (imageRules ??= loadAppImageRules(options, options.root ?? process.cwd())),
  }
  // Started now, awaited by the first request: a cold function's first event then loads its provider (and
  // its library) while it reads the image config, instead of one after the other. Failures surface there.
  context.provider().catch(() => undefined)
  context.imageRules().catch(() => undefined)
  return async (request) => {
    try {
      return await handle(request, context)
    } catch (error) {
      // Errors of this package name the problem without secrets; anything else is not echoed.
      const reason = error instanceof ImageInvalidateError ? error.message : `unexpected ${(error as Error)?.name ?? 'error'}`
      context.options.log?.(`asset webhook (${options.provider}): ${reason}`)
      return reply(500, { ok: false, reason })
    }
  }
}

interface HandlerContext {
  options: AssetWebhookOptions
  env: Record<string, string | undefined>
  provider: () => Promise<AssetProviderModule>
  imageRules: () => Promise<AppImageRules>
}

async function handle(request: Request, context: HandlerContext): Promise<Response> {
  const { options, env } = context
  if (request.method !== 'POST') return reply(405, { ok: false, reason: 'only POST' })
  const secret = options.secret ?? env.IMAGE_INVALIDATE_ASSET_SECRET
  if (!secret) return reply(503, { ok: false, reason: 'not configured: set IMAGE_INVALIDATE_ASSET_SECRET (or the secret option)' })
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const body = await readBoundedBody(request, maxBodyBytes)
  if (!body) return reply(413, { ok: false, reason: `body over ${maxBodyBytes} bytes` })

  const provider = await context.provider()
  const url = new URL(request.url)
  const verification = await provider.verify({
    method: request.method,
    path: url.pathname + url.search,
    headers: request.headers,
    body,
    secret,
    now: Date.now(),
    maxAgeSeconds: options.maxAgeSeconds,
  })
  if (!verification.ok) return reply(401, { ok: false, reason: otherProviderReason(request.headers, options.provider) ?? verification.reason })

  let data: unknown
  try {
    data = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch {
    return reply(400, { ok: false, reason: 'the body is not JSON' })
  }
  const parsed = provider.parse(data, request.headers)
  if ('problem' in parsed) return reply(422, { ok: false, reason: parsed.problem })
  if ('ignore' in parsed) return reply(200, { ok: true, action: 'ignored', reason: parsed.ignore })

  const wanted = await sourceUrls(parsed.assets, data, options)
  if ('problem' in wanted) return reply(422, { ok: false, reason: wanted.problem })
  const { send, skipped } = keepAllowed(wanted.urls, await context.imageRules())
  if (send.length === 0) return reply(200, { ok: true, action: 'skipped', skipped })
  return sendAndAnswer(send, skipped, context)
}

/** A sentence for a request that carries another provider's mark and not this one's, or undefined. */
function otherProviderReason(headers: Headers, provider: AssetWebhookProvider): string | undefined {
  const markOf = (name: AssetWebhookProvider) => PROVIDER_MARKS[name].find((header) => headers.has(header))
  if (markOf(provider)) return undefined
  const other = (Object.keys(PROVIDER_MARKS) as AssetWebhookProvider[]).find((name) => name !== provider && markOf(name))
  if (!other) return undefined
  return `this route takes ${provider} events, but the request carries ${markOf(other)}, as ${other} sends: point ${other} at a route made with provider '${other}', with its own secret`
}

/**
 * Every asset's source URLs: `srcImages(asset)` when given, else the payload's, made absolute. An asset
 * without any is a problem to answer with a 422, and then nothing is sent.
 */
async function sourceUrls(assets: ParsedAsset[], payload: unknown, options: AssetWebhookOptions): Promise<{ urls: string[] } | { problem: string }> {
  const urls: string[] = []
  for (const parsed of assets) {
    const absolute = parsed.urls.map((url) => absoluteUrl(url, options.baseUrl))
    const relative = absolute.find((url) => url.startsWith('/'))
    if (relative && !options.srcImages)
      return { problem: `the asset's URL ${relative} is relative: set the baseUrl option to the origin that serves it (the CMS's public URL)` }
    const asset: AssetWebhookAsset = { provider: options.provider, event: parsed.event, id: parsed.id, spaceId: parsed.spaceId, urls: absolute, payload }
    const own = options.srcImages ? [...(await callSrcImages(options.srcImages, asset))] : absolute
    if (own.length === 0) return { problem: noUrlProblem(options, parsed) }
    urls.push(...own)
  }
  return { urls: [...new Set(urls)] }
}

async function callSrcImages(srcImages: NonNullable<AssetWebhookOptions['srcImages']>, asset: AssetWebhookAsset): Promise<readonly string[]> {
  try {
    const urls = await srcImages(asset)
    if (!Array.isArray(urls) || !urls.every((url) => typeof url === 'string')) throw new TypeError('it did not return a list of strings')
    return urls
  } catch (error) {
    throw new ImageInvalidateError(
      'IMAGE_INVALIDATE_SRC_IMAGES',
      `srcImages failed for ${asset.event} of asset ${asset.id ?? '(no id)'}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
}

function noUrlProblem(options: AssetWebhookOptions, asset: ParsedAsset): string {
  const what = `the ${asset.event} event of asset ${asset.id ?? '(no id)'} carries no URL`
  if (options.srcImages) return `${what}, and srcImages returned none`
  if (options.provider === 'storyblok')
    return `${what} (Storyblok sends only asset_id and space_id): give srcImages, which can look the asset up in Storyblok's Management API`
  return `${what}: give srcImages to map the asset to the URLs pages use`
}

/** A URL made absolute: `https:` for a protocol-relative one, resolved against `baseUrl` for a path. */
function absoluteUrl(url: string, baseUrl: string | undefined): string {
  if (url.startsWith('//')) return `https:${url}`
  if (url.startsWith('/') && baseUrl) return new URL(url, baseUrl).href
  return url
}

/** The URLs Vercel optimizes, and the others with the reason they are skipped. */
function keepAllowed(urls: string[], image: AppImageRules): { send: string[]; skipped: Skipped[] } {
  const send: string[] = []
  const skipped: Skipped[] = []
  for (const url of urls) {
    const reason = skipReason(url, image)
    if (reason) skipped.push({ url, reason })
    else send.push(url)
  }
  return { send, skipped }
}

function skipReason(text: string, image: AppImageRules): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'not an absolute URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `not an http(s) URL`
  if (image.unoptimized) return `${image.unoptimized} (${image.source}): Vercel optimizes no image of this app, so none is cached`
  if (image.source === 'none')
    return 'no image config found (no remotePatterns option, no .next/required-server-files.json): give remotePatterns, as the app configures them'
  if (!isAllowedRemoteImage(image.rules, url))
    return `not allowed by the image config (${image.source}): Vercel does not optimize it, so nothing of it is cached`
  return undefined
}

/**
 * Sends, then answers as the deploy webhook does: with `waitUntil`, 202 at once with what is being sent;
 * otherwise what was sent (200), or 500 when something failed so that the provider retries (sending again is
 * harmless), or 202 at the deadline while the sending goes on.
 */
async function sendAndAnswer(send: string[], skipped: Skipped[], context: HandlerContext): Promise<Response> {
  const { options } = context
  const sender = await chooseSender(options, context.env)
  if ('problem' in sender) {
    options.log?.(`asset webhook (${options.provider}): nothing sent: ${sender.problem}`)
    return reply(500, { ok: false, reason: sender.problem, skipped })
  }
  const work = sender.send(send).then((outcome) => {
    logOutcome(options, sender.via, outcome)
    return outcome
  })
  if (options.waitUntil) {
    options.waitUntil(work)
    return reply(202, { ok: true, action: 'accepted', via: sender.via, sending: send, skipped })
  }
  const stop = new AbortController()
  const deadline = sleep(options.deadlineMs ?? 25_000, undefined, { signal: stop.signal }).catch(() => undefined)
  const outcome = await Promise.race([work, deadline])
  stop.abort()
  if (!outcome) return reply(202, { ok: true, action: 'accepted', via: sender.via, sending: send, skipped, reason: 'still sending after the deadline' })
  const ok = outcome.failed.length === 0
  return reply(ok ? 200 : 500, {
    ok,
    action: ok ? 'invalidated' : 'failed',
    via: sender.via,
    invalidated: outcome.invalidated,
    failed: outcome.failed,
    skipped,
  })
}

function logOutcome(options: AssetWebhookOptions, via: string, outcome: SendOutcome): void {
  if (!options.log) return
  const failed = outcome.failed.map((image) => `${image.srcImage} (${image.reason})`).join(', ')
  options.log(`asset webhook (${options.provider}): invalidated ${outcome.invalidated.length} via ${via}${failed ? `; failed: ${failed}` : ''}`)
}
