// The asset webhook served as users serve it: one `next build` (Turbopack, Next.js 16's default) of a fixture
// with a route per provider importing `unplugin-image-invalidate/routes` and a next.config without
// withImageInvalidate, as a site with remote CMS images only has it (and the app's images.remotePatterns,
// which the routes read at run time), then `next start` with the API stand-in; the tests share that build.
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { AssetWebhookProvider } from '../src/types.js'
import {
  ASSET_SECRET,
  EVENTS,
  REPLAY_WINDOWS,
  contentfulPublish,
  genericUrls,
  misSignedHeaders,
  post,
  signatureHeaders,
  type ProviderEvent,
} from './helpers/asset-webhooks.js'
import { copyFixtureInRepo, freePort, nextBuild, nextCommand, repoRoot, withServer, type Fixture } from './helpers/fixture.js'
import { startVercelApi, type VercelApiStandIn } from './stand-ins/vercel-api.mjs'

const TOKEN = 'tok_ASSET_NEXT_0123456789'
const PROJECT = 'prj_asset_next'
const PROVIDERS = Object.keys(EVENTS) as AssetWebhookProvider[]

let fixture: Fixture
let api: VercelApiStandIn

// The build took 58 s with the machine's load average at 10; 300 s leaves five times that.
beforeAll(async () => {
  api = await startVercelApi({ token: TOKEN, projectId: PROJECT })
  fixture = await copyFixtureInRepo('next-asset-webhooks')
  const built = await nextBuild(fixture)
  expect(built.code, built.output).toBe(0)
  expect(built.output).toContain('(Turbopack)')
}, 300_000)

afterAll(async () => {
  await fixture?.remove()
  await api?.close()
})

/**
 * A `next start` of the build for the length of `use`. Each test starts its own: the suite ends every process
 * a test started when the test ends (test/setup/each.ts).
 */
async function withNext(env: Record<string, string>, use: (origin: string, output: () => string) => Promise<void>): Promise<void> {
  const port = String(await freePort())
  const secrets = { NEXT_TELEMETRY_DISABLED: '1', IMAGE_INVALIDATE_ASSET_SECRET: ASSET_SECRET }
  await withServer(nextCommand('start', '--hostname', '127.0.0.1', '--port', port), { cwd: fixture.dir, env: { ...secrets, ...env } }, use)
}

const WITH_TOKEN = () => ({ VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: PROJECT, IMAGE_INVALIDATE_API_URL: api.origin })

const routeOf = (origin: string, provider: AssetWebhookProvider) => new URL(`/api/assets/${provider}`, origin)
const pathOf = (provider: AssetWebhookProvider) => `/api/assets/${provider}`
const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, any> })

describe('the build', () => {
  it("bundles the routes without the package's bundler code: no unplugin, so no `webpack` for Turbopack to resolve", async () => {
    const server = fixture.path('.next', 'server')
    const files = (await readdir(server, { recursive: true })).filter((file) => file.endsWith('.js'))
    const routes = files.filter((file) => file.startsWith(path.join('app', 'api', 'assets')) && file.endsWith('route.js'))
    expect(routes).toHaveLength(PROVIDERS.length)
    // Turbopack names each module it bundles by its path: the package's chunks are there, unplugin's are not.
    const texts = await Promise.all(files.map((file) => readFile(path.join(server, file), 'utf8')))
    expect(texts.some((text) => text.includes('unplugin-image-invalidate/dist/') || text.includes('unplugin-image-invalidate_dist_'))).toBe(true)
    expect(files.filter((_, i) => /[/_]unplugin[/_]dist[/_]/.test(texts[i]!))).toEqual([])
  })
})

describe('asset webhooks under next start, with a token', () => {
  /** What the API stand-in receives from now on. */
  const received = () => {
    const from = api.invalidated.length
    return () => api.invalidated.slice(from)
  }

  it.each(PROVIDERS)('%s: its documented payload, signed as it signs, invalidates exactly the asset source URLs; unsigned or mis-signed, 401', (provider) =>
    withNext(WITH_TOKEN(), async (origin) => {
      const event = EVENTS[provider]()
      const sent = received()
      const route = routeOf(origin, provider)
      const answer = await json(await fetch(route, post(event, signatureHeaders(provider, event, { path: pathOf(provider) }))))
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300)
      // The generic route answers at once (Next.js's `after`) and sends after the response.
      await vi.waitFor(() => expect([...sent()].sort()).toEqual([...event.urls].sort()), { timeout: 20_000, interval: 50 })

      const refused = received()
      expect((await fetch(route, post(event))).status).toBe(401)
      expect((await fetch(route, post(event, misSignedHeaders(provider, event, { path: pathOf(provider) })))).status).toBe(401)
      const window = REPLAY_WINDOWS[provider]
      if (window) {
        const replayed = signatureHeaders(provider, event, { path: pathOf(provider), signedAt: Date.now() - (window + 60) * 1000 })
        expect(await json(await fetch(route, post(event, replayed)))).toMatchObject({
          status: 401,
          body: { reason: expect.stringContaining('stale or replayed') },
        })
      }
      expect(refused()).toEqual([])
    }),
  )

  it("skips, and says so, a URL outside the app's images.remotePatterns (read from the build), sending the rest", () =>
    withNext(WITH_TOKEN(), async (origin, output) => {
      const event: ProviderEvent = genericUrls(['https://bucket.example.com/public/a.png', 'https://bucket.example.com/private/b.png'])
      const sent = received()
      const { status, body } = await json(await fetch(routeOf(origin, 'generic'), post(event, signatureHeaders('generic', event))))
      expect(status).toBe(202)
      expect(body).toMatchObject({ ok: true, action: 'accepted', sending: ['https://bucket.example.com/public/a.png'] })
      expect(body.skipped).toEqual([
        {
          url: 'https://bucket.example.com/private/b.png',
          reason: expect.stringContaining(`Next.js's image config (${path.join('.next', 'required-server-files.json')})`),
        },
      ])
      await vi.waitFor(() => expect(sent()).toEqual(['https://bucket.example.com/public/a.png']), { timeout: 20_000, interval: 50 })
      // The event's line in the server's log once the sending ends (`after`, as waitUntil on Vercel).
      await vi.waitFor(() => expect(output()).toContain('[image-invalidate] asset webhook (generic) urls: sent 1 via the Vercel API, skipped 1, failed 0'), {
        timeout: 20_000,
        interval: 50,
      })
      expect(output()).not.toContain(ASSET_SECRET)
      expect(output()).not.toContain(TOKEN)
    }))

  it('answers 503, and says so in the log, when started from another folder with no remotePatterns: the image config cannot be found', async () => {
    const event = genericUrls(['https://bucket.example.com/public/a.png'])
    const sent = received()
    const port = String(await freePort())
    const env = { NEXT_TELEMETRY_DISABLED: '1', IMAGE_INVALIDATE_ASSET_SECRET: ASSET_SECRET, ...WITH_TOKEN() }
    await withServer(nextCommand('start', fixture.dir, '--hostname', '127.0.0.1', '--port', port), { cwd: repoRoot, env }, async (origin, output) => {
      const { status, body } = await json(await fetch(routeOf(origin, 'generic'), post(event, signatureHeaders('generic', event))))
      const file = path.join(repoRoot, '.next', 'required-server-files.json')
      expect(status).toBe(503)
      expect(body.reason).toContain(`${file} cannot be read (ENOENT)`)
      expect(body.reason).toContain("run the server from the app's folder")
      await vi.waitFor(() => expect(output()).toContain(`[image-invalidate] asset webhook (generic) refused, 503: ${body.reason}`), {
        timeout: 20_000,
        interval: 50,
      })
    })
    expect(sent()).toEqual([])
  })
})

describe('asset webhooks under next start, without a token', () => {
  it('send through @vercel/functions where the request context is there (as in a Vercel Function), and answer 500 with a sentence where it is not', async () => {
    const event = contentfulPublish()
    const signed = () => post(event, signatureHeaders('contentful', event, { path: pathOf('contentful') }))

    await withNext({}, async (origin) => {
      const answer = await json(await fetch(routeOf(origin, 'contentful'), signed()))
      expect(answer).toMatchObject({ status: 500, body: { ok: false, reason: expect.stringContaining('not running inside a Vercel Function') } })
    })

    const before = api.invalidated.length
    const runtime = {
      NODE_OPTIONS: `--import=${path.join(repoRoot, 'test/stand-ins/vercel-request-context.mjs')}`,
      TEST_PURGE_API_URL: api.origin,
      TEST_PURGE_TOKEN: TOKEN,
      TEST_PURGE_PROJECT: PROJECT,
    }
    await withNext(runtime, async (origin) => {
      const answer = await json(await fetch(routeOf(origin, 'contentful'), signed()))
      expect(answer).toMatchObject({ status: 200, body: { ok: true, via: '@vercel/functions', invalidated: event.urls } })
      expect(api.invalidated.slice(before)).toEqual(event.urls)
    })
  })
})
