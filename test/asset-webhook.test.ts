// @module-tag floor
import { createHmac } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAssetWebhookHandler } from '../src/remote/asset-webhook.js'
import type { AssetWebhookOptions, AssetWebhookProvider } from '../src/types.js'
import {
  ASSET_SECRET,
  EVENTS,
  contentstackAssetUpdate,
  contentstackBasicAuth,
  REPLAY_WINDOWS,
  cloudinaryOverwrite,
  contentfulPublish,
  genericUrls,
  misSignedHeaders,
  post,
  signatureHeaders,
  storyblokAssetReplaced,
  strapiMediaUpdate,
  type ProviderEvent,
} from './helpers/asset-webhooks.js'
import { tempDir } from './helpers/tmp.js'
import { startVercelApi, type VercelApiStandIn } from './stand-ins/vercel-api.mjs'

const TOKEN = 'tok_ASSET_WEBHOOK_abcdef0123'
const PROVIDERS = Object.keys(EVENTS) as AssetWebhookProvider[]
/** The image config of the site these tests stand for: each provider's host, and one bucket folder. */
const REMOTE_PATTERNS: AssetWebhookOptions['remotePatterns'] = [
  { protocol: 'https', hostname: 'images.ctfassets.net' },
  { protocol: 'https', hostname: 'res.cloudinary.com', pathname: '/demo/**' },
  { protocol: 'https', hostname: 'a.storyblok.com' },
  { protocol: 'https', hostname: 'images.contentstack.io' },
  { protocol: 'https', hostname: 'cms.example.com', pathname: '/uploads/**' },
  new URL('https://bucket.example.com/public/**'),
]
/** Storyblok's events carry an id: the site maps it to its URL (in real life, through the Management API). */
const STORYBLOK_URLS: Record<string, string> = { '678': 'https://a.storyblok.com/f/12345/1200x800/3f2a1b4c5d/hero.png' }

let api: VercelApiStandIn | undefined
afterEach(async () => {
  await api?.close()
  api = undefined
  delete (globalThis as Record<symbol, unknown>)[VERCEL_CONTEXT]
  vi.restoreAllMocks()
})

const VERCEL_CONTEXT = Symbol.for('@vercel/request-context')
const SIGNS_BODY = new Set<AssetWebhookProvider>(['contentful', 'contentstack', 'cloudinary', 'storyblok', 'generic'])

async function handlerFor(provider: AssetWebhookProvider, options: Partial<AssetWebhookOptions> = {}) {
  api ??= await startVercelApi({ token: TOKEN, projectId: 'prj_assets' })
  const log: string[] = []
  const handler = createAssetWebhookHandler({
    provider,
    secret: ASSET_SECRET,
    token: TOKEN,
    projectId: 'prj_assets',
    apiUrl: api.origin,
    remotePatterns: REMOTE_PATTERNS,
    baseUrl: provider === 'strapi' ? 'https://cms.example.com' : undefined,
    srcImages: provider === 'storyblok' ? (asset) => (asset.id && STORYBLOK_URLS[asset.id] ? [STORYBLOK_URLS[asset.id]!] : []) : undefined,
    env: {},
    log: (line) => log.push(line),
    ...options,
  })
  return { handler, log }
}

const request = (provider: AssetWebhookProvider, event: ProviderEvent, headers: Record<string, string>) =>
  new Request(`http://localhost/api/assets/${provider}`, post(event, headers))
const signed = (provider: AssetWebhookProvider, event: ProviderEvent, signedAt?: number) =>
  request(provider, event, signatureHeaders(provider, event, { path: `/api/assets/${provider}`, signedAt }))
const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, any> })

describe('createAssetWebhookHandler, for each provider', () => {
  it.each(PROVIDERS)('%s: a payload signed as the provider signs it invalidates exactly its source URLs, through the API client', async (provider) => {
    const event = EVENTS[provider]()
    const { handler } = await handlerFor(provider)
    const { status, body } = await json(await handler(signed(provider, event)))
    expect({ status, body }).toMatchObject({ status: 200, body: { ok: true, action: 'invalidated', via: 'the Vercel API', skipped: [] } })
    expect([...body.invalidated].sort()).toEqual([...event.urls].sort())
    expect([...api!.invalidated].sort()).toEqual([...event.urls].sort())
  })

  it.each(PROVIDERS)('%s: unsigned or mis-signed, 401 and nothing sent', async (provider) => {
    const event = EVENTS[provider]()
    const { handler } = await handlerFor(provider)
    const unsigned = await json(await handler(request(provider, event, {})))
    expect(unsigned.status).toBe(401)
    expect(unsigned.body.reason).toMatch(/missing/i)
    const wrong = await json(await handler(request(provider, event, misSignedHeaders(provider, event, { path: `/api/assets/${provider}` }))))
    expect(wrong.status).toBe(401)
    expect(wrong.body.reason).not.toMatch(/missing/i)
    // The body altered after signing: where the provider signs the body, the signature no longer matches
    // (Strapi sends a shared secret in a header, which does not depend on the body).
    const tampered = { ...event, body: event.body.replace('}', ',"extra":1}') }
    const altered = await handler(request(provider, tampered, signatureHeaders(provider, event, { path: `/api/assets/${provider}` })))
    if (SIGNS_BODY.has(provider)) {
      expect(altered.status).toBe(401)
      expect(api!.calls).toEqual([])
    } else expect(api!.calls).toHaveLength(1)
  })

  it.each(Object.entries(REPLAY_WINDOWS))(
    '%s: signed longer ago than its window (%i s), or from the future: 401 and nothing sent',
    async (name, windowSeconds) => {
      const provider = name as AssetWebhookProvider
      const event = EVENTS[provider]()
      const { handler } = await handlerFor(provider)
      const stale = await json(await handler(signed(provider, event, Date.now() - (windowSeconds + 60) * 1000)))
      expect(stale).toMatchObject({ status: 401, body: { ok: false, reason: expect.stringMatching(/stale or replayed/) } })
      expect((await handler(signed(provider, event, Date.now() + (windowSeconds + 60) * 1000))).status).toBe(401)
      // Within the window, the same request is accepted.
      expect((await handler(signed(provider, event, Date.now() - (windowSeconds - 60) * 1000))).status).toBe(200)
    },
  )

  it('maxAgeSeconds narrows the window', async () => {
    const event = cloudinaryOverwrite()
    const { handler } = await handlerFor('cloudinary', { maxAgeSeconds: 60 })
    expect((await handler(signed('cloudinary', event, Date.now() - 120_000))).status).toBe(401)
    expect(api!.calls).toEqual([])
  })
})

describe('createAssetWebhookHandler: what is sent', () => {
  it('skips and says a URL the image config does not allow, and sends the others (2xx)', async () => {
    const event = genericUrls(['https://bucket.example.com/public/a.png', 'https://bucket.example.com/private/b.png', 'https://elsewhere.example/c.png'])
    const { handler } = await handlerFor('generic')
    const { status, body } = await json(await handler(signed('generic', event)))
    expect(status).toBe(200)
    expect(body.invalidated).toEqual(['https://bucket.example.com/public/a.png'])
    expect(body.skipped).toEqual([
      { url: 'https://bucket.example.com/private/b.png', reason: expect.stringContaining('not allowed by the image config (the remotePatterns option)') },
      { url: 'https://elsewhere.example/c.png', reason: expect.stringContaining('not allowed') },
    ])
    expect(api!.invalidated).toEqual(['https://bucket.example.com/public/a.png'])
  })

  it('sends nothing when no URL is allowed, and says why (200, skipped)', async () => {
    const { handler } = await handlerFor('generic')
    const { status, body } = await json(
      await handler(signed('generic', genericUrls(['https://elsewhere.example/c.png', 'ftp://bucket.example.com/public/a.png']))),
    )
    expect(status).toBe(200)
    expect(body).toMatchObject({ ok: true, action: 'skipped' })
    expect(body.skipped.map((skip: { reason: string }) => skip.reason)).toEqual([
      expect.stringContaining('not allowed'),
      'it is not an absolute http(s) URL: Vercel takes no such source image',
    ])
    expect(api!.calls).toEqual([])
  })

  it("reads the app's image config from Next.js's build output when no remotePatterns is given, and honours images.unoptimized and another loader", async () => {
    const root = await tempDir()
    await mkdir(path.join(root, '.next'))
    const config = (images: unknown) => writeFile(path.join(root, '.next/required-server-files.json'), JSON.stringify({ version: 1, config: { images } }))
    await config({ remotePatterns: [{ protocol: 'https', hostname: 'bucket.example.com', pathname: '/public/**' }], domains: ['legacy.example.com'] })
    const event = genericUrls(['https://bucket.example.com/public/a.png', 'https://legacy.example.com/b.png', 'https://bucket.example.com/private/c.png'])
    const fromBuild = await handlerFor('generic', { remotePatterns: undefined, root })
    const { body } = await json(await fromBuild.handler(signed('generic', event)))
    expect(body.invalidated).toEqual(['https://bucket.example.com/public/a.png', 'https://legacy.example.com/b.png'])
    expect(body.skipped).toEqual([
      { url: 'https://bucket.example.com/private/c.png', reason: expect.stringContaining("Next.js's image config (.next/required-server-files.json)") },
    ])

    await config({ unoptimized: true, remotePatterns: [{ hostname: '**' }] })
    const unoptimized = await handlerFor('generic', { remotePatterns: undefined, root })
    const skipped = await json(await unoptimized.handler(signed('generic', event)))
    expect(skipped.body).toMatchObject({ action: 'skipped', skipped: [{ reason: expect.stringContaining('images.unoptimized is set') }, {}, {}] })
    await config({ loader: 'cloudinary', path: 'https://res.cloudinary.com/demo/image/upload/', remotePatterns: [{ hostname: '**' }] })
    const otherLoader = await handlerFor('generic', { remotePatterns: undefined, root })
    const loaderAnswer = await json(await otherLoader.handler(signed('generic', event)))
    expect(loaderAnswer.body).toMatchObject({ action: 'skipped', skipped: [{ reason: expect.stringContaining('images.loader is "cloudinary"') }, {}, {}] })

    expect(api!.invalidated).toEqual(['https://bucket.example.com/public/a.png', 'https://legacy.example.com/b.png'])
  })

  it('answers 503, and logs, when there is no image config to read: a configuration error, not a skip', async () => {
    const elsewhere = await tempDir()
    const { handler, log } = await handlerFor('generic', { remotePatterns: undefined, root: elsewhere })
    const { status, body } = await json(await handler(signed('generic', genericUrls())))
    const file = path.join(elsewhere, '.next', 'required-server-files.json')
    expect(status).toBe(503)
    expect(body).toEqual({
      ok: false,
      reason:
        `no image config: the remotePatterns option is not set, and ${file} cannot be read (ENOENT), so which URLs Vercel optimizes is unknown: ` +
        "run the server from the app's folder (the one that holds .next), or set the root option to it, or pass remotePatterns as next.config's images.remotePatterns",
    })
    expect(log).toEqual([`[image-invalidate] asset webhook (generic) refused, 503: ${body.reason}`])
    expect(api!.calls).toEqual([])
  })

  it('srcImages(asset) gives the URLs pages use instead of the payload’s', async () => {
    const event = cloudinaryOverwrite()
    const seen: unknown[] = []
    const { handler } = await handlerFor('cloudinary', {
      srcImages: (asset) => {
        seen.push({ ...asset, payload: undefined })
        return asset.urls.map((url) => url.replace('https://res.cloudinary.com/demo/', 'https://res.cloudinary.com/demo/') + '?v=2')
      },
    })
    const { body } = await json(await handler(signed('cloudinary', event)))
    expect(body.invalidated).toEqual(event.urls.map((url) => `${url}?v=2`))
    expect(seen).toEqual([{ provider: 'cloudinary', event: 'upload', id: 'sample', spaceId: undefined, urls: event.urls, payload: undefined }])
  })

  it('sends through @vercel/functions without a token when the Vercel request context is there, and refuses (500) when it is not', async () => {
    const event = contentfulPublish()
    const purged: unknown[] = []
    const { handler } = await handlerFor('contentful', { token: undefined, projectId: undefined, apiUrl: undefined })
    const absent = await json(await handler(signed('contentful', event)))
    expect(absent).toMatchObject({ status: 500, body: { ok: false, reason: expect.stringContaining('not running inside a Vercel Function') } })
    // The context as Vercel's runtime installs it: a getter on this symbol, read by @vercel/functions.
    const purge = { invalidateBySrcImage: async (src: string | string[]) => void purged.push(src) }
    ;(globalThis as Record<symbol, unknown>)[VERCEL_CONTEXT] = { get: () => ({ purge, waitUntil: () => undefined }) }
    const present = await json(await handler(signed('contentful', event)))
    expect(present).toMatchObject({ status: 200, body: { ok: true, via: '@vercel/functions', invalidated: event.urls } })
    expect(purged).toEqual([event.urls])
    expect(api!.calls).toEqual([])
  })

  it('with waitUntil: 202 at once with what is being sent, and the sending finishes in the promise it was handed', async () => {
    const kept: Promise<unknown>[] = []
    const { handler } = await handlerFor('generic', { waitUntil: (promise) => kept.push(promise) })
    const { status, body } = await json(await handler(signed('generic', genericUrls())))
    expect({ status, body }).toMatchObject({ status: 202, body: { ok: true, action: 'accepted', sending: ['https://bucket.example.com/public/team/ada.png'] } })
    expect(kept).toHaveLength(1)
    await kept[0]
    expect(api!.invalidated).toEqual(['https://bucket.example.com/public/team/ada.png'])
  })

  it('answers 500 when sending failed, so that the provider retries, with the reason and without the token', async () => {
    const { handler, log } = await handlerFor('generic')
    api!.injectFaults([{ status: 403, body: { error: { code: 'forbidden', message: 'Not authorized' } } }])
    const response = await handler(signed('generic', genericUrls()))
    const text = await response.text()
    expect(response.status).toBe(500)
    expect(JSON.parse(text)).toMatchObject({ ok: false, action: 'failed', failed: [{ srcImage: 'https://bucket.example.com/public/team/ada.png' }] })
    expect(text).toContain('(403)')
    for (const output of [text, ...log]) {
      expect(output).not.toContain(TOKEN)
      expect(output).not.toContain(ASSET_SECRET)
    }
  })

  it("scrubs the token and every secret from the answer and the log, where Vercel's error text echoes the Authorization header", async () => {
    const env = { VERCEL_AUTOMATION_BYPASS_SECRET: 'bypass_ASSET_0123456789', CRON_SECRET: 'cron_ASSET_0123456789' }
    const { handler, log } = await handlerFor('generic', { env })
    const echo = (authorization: string | undefined) => ({
      error: {
        code: 'forbidden',
        message: `token ${authorization} lacks scope (bypass ${env.VERCEL_AUTOMATION_BYPASS_SECRET}, cron ${env.CRON_SECRET}, ${ASSET_SECRET})`,
      },
    })
    api!.injectFaults([{ status: 403, body: echo }])
    const response = await handler(signed('generic', genericUrls()))
    const text = await response.text()
    expect(response.status).toBe(500)
    expect(JSON.parse(text).failed[0].reason).toContain('token Bearer [redacted] lacks scope (bypass [redacted], cron [redacted], [redacted])')
    expect(log).toHaveLength(1)
    expect(log[0]).toContain('token Bearer [redacted] lacks scope')
    for (const output of [text, ...log]) for (const secret of [TOKEN, ASSET_SECRET, ...Object.values(env)]) expect(output).not.toContain(secret)
  })

  it('with waitUntil, each event leaves one line by default: sent, skipped, failed with the first reason, failures on stderr; the log option takes them instead', async () => {
    const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const kept: Promise<unknown>[] = []
    const { handler } = await handlerFor('generic', { log: undefined, retries: 0, waitUntil: (promise) => kept.push(promise) })
    const event = genericUrls(['https://bucket.example.com/public/a.png', 'https://elsewhere.example/b.png'])
    api!.injectFaults([401, 402, 403, 404, 429, 500].map((status) => ({ status, body: { error: { code: 'fault', message: `answered ${status}` } } })))
    // One event after the other, so that each meets its fault.
    for (let i = 0; i < 7; i++) {
      expect((await handler(signed('generic', event))).status).toBe(202)
      await kept.at(-1)
    }
    const head = '[image-invalidate] asset webhook (generic) urls: '
    const firstSkipped = '; first skipped: https://elsewhere.example/b.png: not allowed by the image config (the remotePatterns option)'
    const failedLines = errors.mock.calls.map(([line]) => String(line))
    expect(failedLines).toHaveLength(6)
    failedLines.forEach((line, i) => {
      expect(line.startsWith(`${head}sent 0 via the Vercel API, skipped 1, failed 1; first failure: https://bucket.example.com/public/a.png: `), line).toBe(
        true,
      )
      // The client's sentence for each status: `… (403). Vercel said: …`, `HTTP 429` once retries are spent.
      expect(line.split('; first failure: ')[1]).toMatch(new RegExp(`\\b${[401, 402, 403, 404, 429, 500][i]}\\b`))
      expect(line).toContain(firstSkipped)
    })
    expect(printed.mock.calls.map(([line]) => String(line))).toEqual([
      `${head}sent 1 via the Vercel API, skipped 1, failed 0${firstSkipped}: Vercel does not optimize it, so nothing of it is cached`,
    ])

    const lines: string[] = []
    const logged = await handlerFor('generic', { log: (line) => lines.push(line) })
    await logged.handler(signed('generic', event))
    expect(lines).toEqual([expect.stringContaining(`${head}sent 1 via the Vercel API, skipped 1, failed 0`)])
    expect(printed).toHaveBeenCalledTimes(1)
    expect(errors).toHaveBeenCalledTimes(6)
  })

  it('skips, before sending, a URL longer than Vercel takes (2xx with the reason); only a failed API call answers 500', async () => {
    const long = `https://bucket.example.com/public/${'a'.repeat(8192)}.png`
    const { handler } = await handlerFor('generic')
    const alone = await json(await handler(signed('generic', genericUrls([long]))))
    expect(alone.status).toBe(200)
    expect(alone.body).toMatchObject({ ok: true, action: 'skipped' })
    expect(alone.body.skipped).toHaveLength(1)
    expect(alone.body.skipped[0].url === long).toBe(true)
    expect(alone.body.skipped[0].reason).toBe('it is longer than 8192 characters: Vercel takes no such source image')
    expect(api!.calls).toEqual([])
    const mixed = await json(await handler(signed('generic', genericUrls([long, 'https://bucket.example.com/public/a.png']))))
    expect(mixed.status).toBe(200)
    expect(mixed.body).toMatchObject({ action: 'invalidated', invalidated: ['https://bucket.example.com/public/a.png'] })
    expect(mixed.body.skipped.map((skip: { url: string }) => skip.url === long)).toEqual([true])
    expect(api!.invalidated).toEqual(['https://bucket.example.com/public/a.png'])
  })
})

describe('createAssetWebhookHandler: bad input', () => {
  it('refuses everything with 503 when no secret is configured, and takes IMAGE_INVALIDATE_ASSET_SECRET as the default', async () => {
    const event = genericUrls()
    const none = await handlerFor('generic', { secret: undefined })
    expect(await json(await none.handler(signed('generic', event)))).toMatchObject({
      status: 503,
      body: { reason: expect.stringContaining('IMAGE_INVALIDATE_ASSET_SECRET') },
    })
    const fromEnv = await handlerFor('generic', { secret: undefined, env: { IMAGE_INVALIDATE_ASSET_SECRET: ASSET_SECRET } })
    expect((await fromEnv.handler(signed('generic', event))).status).toBe(200)
  })

  it('405 for other methods; 413 for a body over the limit, said or streamed', async () => {
    const { handler } = await handlerFor('generic', { maxBodyBytes: 100 })
    expect((await handler(new Request('http://localhost/', { method: 'GET' }))).status).toBe(405)
    const big = genericUrls(Array.from({ length: 10 }, (_, i) => `https://bucket.example.com/public/${i}.png`))
    expect(await json(await handler(signed('generic', big)))).toMatchObject({ status: 413, body: { reason: 'body over 100 bytes' } })
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big.body))
        controller.close()
      },
    })
    const streamed = new Request('http://localhost/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect((await handler(streamed)).status).toBe(413)
  })

  it('400 for a signed body that is not JSON; 422 for JSON of another shape; 200 ignored for events that change no asset', async () => {
    const { handler } = await handlerFor('generic')
    const notJson: ProviderEvent = { body: 'urls=https://bucket.example.com/public/a.png', headers: {}, urls: [] }
    expect(await json(await handler(signed('generic', notJson)))).toMatchObject({ status: 400, body: { reason: 'the body is not JSON' } })
    const shape: ProviderEvent = { body: JSON.stringify({ url: 'https://bucket.example.com/public/a.png' }), headers: {}, urls: [] }
    expect(await json(await handler(signed('generic', shape)))).toMatchObject({ status: 422, body: { reason: expect.stringContaining('"urls"') } })

    const strapi = await handlerFor('strapi')
    const entry: ProviderEvent = { body: JSON.stringify({ event: 'entry.update', model: 'address', entry: { id: 1 } }), headers: {}, urls: [] }
    expect(await json(await strapi.handler(signed('strapi', entry)))).toMatchObject({ status: 200, body: { action: 'ignored' } })
    const contentful = await handlerFor('contentful')
    const entryTopic = { ...contentfulPublish(), headers: { ...contentfulPublish().headers, 'x-contentful-topic': 'ContentManagement.Entry.publish' } }
    expect(await json(await contentful.handler(signed('contentful', entryTopic)))).toMatchObject({ status: 200, body: { action: 'ignored' } })
    expect(api!.calls).toEqual([])
  })

  it('422 naming the problem for an asset without a URL, and nothing sent', async () => {
    const storyblok = await handlerFor('storyblok', { srcImages: undefined })
    expect(await json(await storyblok.handler(signed('storyblok', storyblokAssetReplaced())))).toMatchObject({
      status: 422,
      body: { reason: expect.stringMatching(/asset 678 carries no URL .*srcImages.*Management API/) },
    })
    // Contentful's unpublish sends a DeletedAsset: its sys only.
    const tombstone: ProviderEvent = {
      body: JSON.stringify({ sys: { type: 'DeletedAsset', id: '4BqrajvA8E6qwgkieoqmqO', space: { sys: { id: 'yadj1kx9rmg0' } } } }),
      headers: { ...contentfulPublish().headers, 'x-contentful-topic': 'ContentManagement.Asset.unpublish' },
      urls: [],
    }
    const contentful = await handlerFor('contentful')
    expect(await json(await contentful.handler(signed('contentful', tombstone)))).toMatchObject({
      status: 422,
      body: {
        reason:
          "the ContentManagement.Asset.unpublish event of asset 4BqrajvA8E6qwgkieoqmqO carries no file URL (Contentful sends only the asset's sys when it is unpublished or deleted): " +
          "give createAssetWebhookHandler a srcImages option that returns the asset's URLs for asset.id, or take Asset Unpublish and Delete off the webhook's triggers in Contentful",
      },
    })
    const generic = await handlerFor('generic')
    expect(await json(await generic.handler(signed('generic', genericUrls([]))))).toMatchObject({
      status: 422,
      body: { reason: 'the body\'s urls list is empty: send { "urls": ["https://…"] } with the URLs that changed' },
    })
    const strapi = await handlerFor('strapi', { baseUrl: undefined })
    expect(await json(await strapi.handler(signed('strapi', strapiMediaUpdate())))).toMatchObject({
      status: 422,
      body: { reason: expect.stringContaining('relative: set the baseUrl option') },
    })
    expect(api!.calls).toEqual([])
  })

  it("names a request that another provider signed, and a secret that cannot be this provider's; neither answer holds the secret", async () => {
    const contentful = await handlerFor('contentful')
    const cloudinaryEvent = cloudinaryOverwrite()
    const crossed = await contentful.handler(request('contentful', cloudinaryEvent, signatureHeaders('cloudinary', cloudinaryEvent)))
    const crossedText = await crossed.text()
    expect(crossed.status).toBe(401)
    expect(JSON.parse(crossedText).reason).toBe(
      "this route takes contentful events, but the request carries x-cld-signature, as cloudinary sends: point cloudinary at a route made with provider 'cloudinary', with its own secret",
    )
    const short = await handlerFor('contentful', { secret: 'whsec_short' })
    const shortAnswer = await short.handler(signed('contentful', contentfulPublish()))
    const shortText = await shortAnswer.text()
    expect(shortAnswer.status).toBe(401)
    expect(JSON.parse(shortText).reason).toContain('not a Contentful signing secret')
    for (const text of [crossedText, shortText]) expect(text).not.toMatch(/whsec_short|qlfkupAwYA4Z/)
    expect(api!.calls).toEqual([])
  })

  it('throws, with a stable code, for a provider it does not know', () => {
    expect(() => createAssetWebhookHandler({ provider: 'sanity' as AssetWebhookProvider })).toThrow(
      expect.objectContaining({ code: 'IMAGE_INVALIDATE_ASSET_PROVIDER', message: expect.stringContaining('contentful, strapi') }),
    )
  })

  it('answers 500 with the reason when srcImages fails, so that the provider retries', async () => {
    const { handler } = await handlerFor('generic', {
      srcImages: () => {
        throw new Error('lookup timed out')
      },
    })
    expect(await json(await handler(signed('generic', genericUrls())))).toMatchObject({
      status: 500,
      body: { reason: "srcImages failed for the body's urls list: lookup timed out" },
    })
  })
})

describe('provider payloads', () => {
  it("Strapi: the file's URL and each of its formats, made absolute against baseUrl", async () => {
    const event = strapiMediaUpdate(true)
    const { handler } = await handlerFor('strapi')
    const { body } = await json(await handler(signed('strapi', event)))
    expect(body.invalidated).toEqual(event.urls)
  })

  it('Contentstack: HMAC Signing with two v1 while a key rotates, or Basic Auth with the secret as password', async () => {
    const event = contentstackAssetUpdate()
    const { handler } = await handlerFor('contentstack')
    const t = Math.floor(Date.now() / 1000)
    const v1 = (secret: string) => createHmac('sha256', secret).update(`${t}.${event.body}`).digest('hex')
    const rotating = { 'x-contentstack-hmac-signature': `t=${t},v1=${v1('the new key')},v1=${v1(ASSET_SECRET)}` }
    expect((await handler(request('contentstack', event, rotating))).status).toBe(200)
    expect((await handler(request('contentstack', event, contentstackBasicAuth()))).status).toBe(200)
    expect((await handler(request('contentstack', event, contentstackBasicAuth('another password')))).status).toBe(401)
    const malformed = { 'x-contentstack-hmac-signature': `v1=${v1(ASSET_SECRET)}` }
    expect(await json(await handler(request('contentstack', event, malformed)))).toMatchObject({
      status: 401,
      body: { reason: expect.stringContaining('t=<timestamp>') },
    })
    expect(api!.invalidated).toEqual([...event.urls, ...event.urls])
  })

  it('Cloudinary: a deletion names resources without URLs, which srcImages maps; a video upload is ignored', async () => {
    const deletion: ProviderEvent = {
      body: JSON.stringify({
        notification_type: 'delete',
        resources: [{ resource_type: 'image', type: 'upload', asset_id: 'a1', public_id: 'folder/sample', version: 1733216400 }],
        notification_context: { triggered_at: '2026-12-03T09:00:00Z', triggered_by: { source: 'ui' } },
      }),
      headers: {},
      urls: [],
    }
    const plain = await handlerFor('cloudinary')
    expect(await json(await plain.handler(signed('cloudinary', deletion)))).toMatchObject({
      status: 422,
      body: {
        reason:
          'the delete event of asset folder/sample carries no URL (Cloudinary names deleted resources by public id only): give createAssetWebhookHandler ' +
          "a srcImages option that builds the delivery URLs from asset.id, or leave Delete out of the notification URL's types in Cloudinary",
      },
    })
    const mapped = await handlerFor('cloudinary', { srcImages: (asset) => [`https://res.cloudinary.com/demo/image/upload/${asset.id}.jpg`] })
    expect((await json(await mapped.handler(signed('cloudinary', deletion)))).body.invalidated).toEqual([
      'https://res.cloudinary.com/demo/image/upload/folder/sample.jpg',
    ])
    const video: ProviderEvent = { ...cloudinaryOverwrite(), body: cloudinaryOverwrite().body.replace('"resource_type":"image"', '"resource_type":"video"') }
    expect(await json(await plain.handler(signed('cloudinary', video)))).toMatchObject({ status: 200, body: { action: 'ignored' } })
  })

  it('Storyblok: story events and asset creation are ignored; a deletion is an asset event', async () => {
    const { handler } = await handlerFor('storyblok')
    const story: ProviderEvent = { body: JSON.stringify({ text: 'published', action: 'published', space_id: 12345, story_id: 1 }), headers: {}, urls: [] }
    expect(await json(await handler(signed('storyblok', story)))).toMatchObject({ status: 200, body: { action: 'ignored' } })
    const created: ProviderEvent = { body: JSON.stringify({ text: 'created', action: 'created', space_id: 12345, asset_id: 678 }), headers: {}, urls: [] }
    expect(await json(await handler(signed('storyblok', created)))).toMatchObject({ status: 200, body: { action: 'ignored' } })
    const deleted: ProviderEvent = { body: JSON.stringify({ text: 'deleted', action: 'deleted', space_id: 12345, asset_id: 678 }), headers: {}, urls: [] }
    expect((await json(await handler(signed('storyblok', deleted)))).body.invalidated).toEqual([STORYBLOK_URLS['678']])
  })
})
