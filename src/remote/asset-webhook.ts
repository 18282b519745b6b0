import { ImageInvalidateError } from '../core/errors.js'
import { isAllowedRemoteImage } from '../core/remote-patterns.js'
import { remoteUrlProblem } from '../core/remote-images.js'
import { createRouteLog, listSome, redactedCopy, secretRedactor, type RouteLog } from '../shared/format.js'
import { readBoundedBody, reply, settledWithin } from '../shared/webhook-request.js'
import { PROVIDER_MARKS, type AssetProviderModule, type ParsedAsset } from './asset-webhook-provider.js'
import { loadAppImageRules, type AppImageRules, type MissingImageRules } from './asset-webhook-images.js'
import { chooseSender, type Sender, type SendOutcome } from './asset-webhook-send.js'
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
 * Vercel's image CDN. Sending a URL twice is harmless, so redeliveries need no bookkeeping. Each event
 * leaves one line in the function's logs (stdout, failures on stderr, or `log`), and no answer or line holds
 * a secret.
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
  let imageRules: Promise<AppImageRules | MissingImageRules> | undefined
  const env = options.env ?? process.env
  const scrub = secretRedactor(env, [options.secret, options.token])
  const context: HandlerContext = {
    options,
    env,
    scrub,
    say: createRouteLog(`asset webhook (${options.provider})`, scrub, options.log),
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
      // Errors of this package name the problem; anything else is not echoed.
      const reason = error instanceof ImageInvalidateError ? error.message : `unexpected ${(error as Error)?.name ?? 'error'}`
      return refuse(context, 500, reason)
    }
  }
}

interface HandlerContext {
  options: AssetWebhookOptions
  env: Record<string, string | undefined>
  /** Takes every secret out of a text: each answer and line goes through it. */
  scrub: (text: string) => string
  say: RouteLog
  provider: () => Promise<AssetProviderModule>
  imageRules: () => Promise<AppImageRules | MissingImageRules>
}

/** The answer, with every string scrubbed of secrets. */
function answer(context: HandlerContext, status: number, body: Record<string, unknown>): Response {
  return reply(status, redactedCopy(body, context.scrub))
}

/** A refusal or an error: answered with its reason, and said on stderr. */
function refuse(context: HandlerContext, status: number, reason: string, extra: Record<string, unknown> = {}): Response {
  context.say.error(`refused, ${status}: ${reason}`)
  return answer(context, status, { ok: false, reason, ...extra })
}

async function handle(request: Request, context: HandlerContext): Promise<Response> {
  const { options, env } = context
  if (request.method !== 'POST') return refuse(context, 405, 'only POST')
  const secret = options.secret ?? env.IMAGE_INVALIDATE_ASSET_SECRET
  if (!secret) return refuse(context, 503, 'not configured: set IMAGE_INVALIDATE_ASSET_SECRET (or the secret option)')
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const body = await readBoundedBody(request, maxBodyBytes)
  if (!body) return refuse(context, 413, `body over ${maxBodyBytes} bytes`)

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
  if (!verification.ok) return refuse(context, 401, otherProviderReason(request.headers, options.provider) ?? verification.reason)

  let data: unknown
  try {
    data = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch {
    return refuse(context, 400, 'the body is not JSON')
  }
  const parsed = provider.parse(data, request.headers)
  if ('problem' in parsed) return refuse(context, 422, parsed.problem)
  if ('ignore' in parsed) {
    context.say.info(`ignored: ${parsed.ignore}`)
    return answer(context, 200, { ok: true, action: 'ignored', reason: parsed.ignore })
  }

  // Without an image config nothing can be told apart: a configuration error, answered before any lookup.
  const image = await context.imageRules()
  if ('missing' in image) return refuse(context, 503, image.missing)
  const wanted = await sourceUrls(parsed.assets, data, options)
  if ('problem' in wanted) return refuse(context, 422, wanted.problem)
  const event = eventLabel(parsed.assets)
  const { send, skipped } = keepAllowed(wanted.urls, image)
  if (send.length === 0) {
    context.say.info(describeEvent(event, undefined, { invalidated: [], failed: [] }, skipped))
    return answer(context, 200, { ok: true, action: 'skipped', skipped })
  }
  return sendAndAnswer(event, send, skipped, context)
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
    if (relative && !options.srcImages) return { problem: relativeUrlProblem(options, relative) }
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
    throw new ImageInvalidateError('IMAGE_INVALIDATE_SRC_IMAGES', `srcImages failed for ${assetOf(asset.provider, asset)}: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

/** What an event is about, in a sentence: `the <event> event of asset <id>`, or the generic form's list. */
function assetOf(provider: AssetWebhookProvider, asset: Pick<ParsedAsset, 'event' | 'id'>): string {
  if (provider === 'generic') return "the body's urls list"
  return asset.id ? `the ${asset.event} event of asset ${asset.id}` : `the ${asset.event} event (no asset id)`
}

function relativeUrlProblem(options: AssetWebhookOptions, relative: string): string {
  if (options.provider === 'generic')
    return `the URL ${relative} in the body's urls list is relative: send absolute URLs, or set the baseUrl option to the origin that serves them`
  return `the asset's URL ${relative} is relative: set the baseUrl option to the origin that serves it (the CMS's public URL)`
}

/** Why an asset has no URL to send, and exactly what to do about it: the 422's sentence. */
function noUrlProblem(options: AssetWebhookOptions, asset: ParsedAsset): string {
  const what = assetOf(options.provider, asset)
  if (options.srcImages) return `srcImages returned no URL for ${what}: return the URLs pages put in src for it`
  const give = 'give createAssetWebhookHandler a srcImages option'
  switch (options.provider) {
    case 'generic':
      return `the body's urls list is empty: send { "urls": ["https://…"] } with the URLs that changed`
    case 'storyblok':
      return `${what} carries no URL (Storyblok sends only asset_id and space_id): ${give}, which can look the asset up in Storyblok's Management API`
    case 'contentful':
      return (
        `${what} carries no file URL (Contentful sends only the asset's sys when it is unpublished or deleted): ${give} that returns the ` +
        "asset's URLs for asset.id, or take Asset Unpublish and Delete off the webhook's triggers in Contentful"
      )
    case 'cloudinary':
      return (
        `${what} carries no URL (Cloudinary names deleted resources by public id only): ${give} that builds the delivery URLs from ` +
        "asset.id, or leave Delete out of the notification URL's types in Cloudinary"
      )
    default:
      return `${what} carries no URL: ${give} that returns the URLs pages use for it`
  }
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

/**
 * Why a URL is not sent, or undefined: Vercel takes no such source image (too long, not http(s)), or it
 * optimizes none of it. Permanent, so a 2xx that says it rather than a 5xx the provider would retry forever.
 */
function skipReason(text: string, image: AppImageRules): string | undefined {
  const problem = remoteUrlProblem(text)
  if (problem) return `it ${problem}: Vercel takes no such source image`
  if (image.unoptimized) return `${image.unoptimized} (${image.source}): Vercel optimizes no image of this app, so none is cached`
  if (!isAllowedRemoteImage(image.rules, new URL(text)))
    return `not allowed by the image config (${image.source}): Vercel does not optimize it, so nothing of it is cached`
  return undefined
}

/** The event and its assets, for the log line: `ContentManagement.Asset.publish, asset 4Bq…`. */
function eventLabel(assets: ParsedAsset[]): string {
  const events = [...new Set(assets.map((asset) => asset.event))].join(', ')
  const ids = assets.map((asset) => asset.id).filter((id): id is string => id !== undefined)
  if (ids.length === 0) return events
  return `${events}, ${ids.length === 1 ? 'asset' : 'assets'} ${listSome(ids)}`
}

/** The event's one line: sent N, skipped M, failed K, with the first failure and the first skip and why. */
function describeEvent(event: string, via: string | undefined, outcome: SendOutcome, skipped: Skipped[]): string {
  const parts = [`${event}: sent ${outcome.invalidated.length}${via ? ` via ${via}` : ''}, skipped ${skipped.length}, failed ${outcome.failed.length}`]
  const failure = outcome.failed[0]
  if (failure) parts.push(`first failure: ${listSome([failure.srcImage])}: ${failure.reason}`)
  const skip = skipped[0]
  if (skip) parts.push(`first skipped: ${listSome([skip.url])}: ${skip.reason}`)
  return parts.join('; ')
}

/**
 * Sends, then answers as the deploy webhook does: with `waitUntil`, 202 at once with what is being sent;
 * otherwise what was sent (200), or 500 when the API call failed so that the provider retries (sending
 * again is harmless), or 202 at the deadline while the sending goes on. The event's line comes when the
 * sending ends, whichever way it answered.
 */
async function sendAndAnswer(event: string, send: string[], skipped: Skipped[], context: HandlerContext): Promise<Response> {
  const { options } = context
  const sender = await chooseSender(options, context.env)
  if ('problem' in sender) return refuse(context, 500, sender.problem, { skipped })
  const work = sendAll(sender, send).then((outcome) => {
    const line = describeEvent(event, sender.via, outcome, skipped)
    if (outcome.failed.length > 0) context.say.error(line)
    else context.say.info(line)
    return outcome
  })
  if (options.waitUntil) {
    options.waitUntil(work)
    return answer(context, 202, { ok: true, action: 'accepted', via: sender.via, sending: send, skipped })
  }
  const outcome = await settledWithin(work, options.deadlineMs)
  if (!outcome)
    return answer(context, 202, { ok: true, action: 'accepted', via: sender.via, sending: send, skipped, reason: 'still sending after the deadline' })
  const ok = outcome.failed.length === 0
  return answer(context, ok ? 200 : 500, {
    ok,
    action: ok ? 'invalidated' : 'failed',
    via: sender.via,
    invalidated: outcome.invalidated,
    failed: outcome.failed,
    skipped,
  })
}

/** The sender's outcome; a sender that throws (a module that cannot load) fails every URL with its reason. */
async function sendAll(sender: Sender, srcImages: string[]): Promise<SendOutcome> {
  try {
    return await sender.send(srcImages)
  } catch (error) {
    const reason = error instanceof ImageInvalidateError ? error.message : `unexpected ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message}`
    return { invalidated: [], failed: srcImages.map((srcImage) => ({ srcImage, reason })) }
  }
}
