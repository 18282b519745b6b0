import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createManifest, serializeManifest } from '../../src/core/manifest.js'
import { fingerprintRemoteImages } from '../../src/shared/remote-fingerprints.js'
import { createRemoteCheckHandler } from '../../src/remote/cron-route.js'
import type { CheckRemoteReport, RemoteStateStore } from '../../src/types.js'
import { repoRoot, run } from '../helpers/fixture.js'
import { tempDir } from '../helpers/tmp.js'
import { startImageOrigin, type ImageOrigin } from '../stand-ins/image-origin.mjs'
import { startSite, type SiteStandIn } from '../stand-ins/site.mjs'
import { startVercelApi, type VercelApiStandIn } from '../stand-ins/vercel-api.mjs'

const TOKEN = 'tok_CHECK_REMOTE_1f2e3d4c'
let origin: ImageOrigin | undefined
let api: VercelApiStandIn | undefined
let site: SiteStandIn | undefined
afterEach(async () => {
  await Promise.all([origin?.close(), api?.close(), site?.close()])
  origin = api = site = undefined
  vi.restoreAllMocks()
})

/** A live deployment whose manifest records `paths` of the origin as they are now, served by a site stand-in. */
async function liveDeployment(paths: string[]) {
  origin ??= await startImageOrigin()
  const urls = paths.map(origin.url)
  const taken = await fingerprintRemoteImages(urls, { budgetMs: 5_000, requestTimeoutMs: 2_000, concurrency: 4, allowLocalIP: true })
  const dir = await tempDir()
  const manifest = createManifest({
    buildId: 'build_live',
    basePath: '',
    images: {},
    plan: { baseline: null, srcImages: [] },
    remote: { version: 1, images: taken.fingerprints },
  })
  await writeFile(path.join(dir, '_image-invalidate.json'), serializeManifest(manifest))
  site = await startSite({ dir })
  api = await startVercelApi({ token: TOKEN, projectId: 'prj_1' })
  return { dir, urls, env: { VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: 'prj_1', IMAGE_INVALIDATE_API_URL: api.origin, IMAGE_INVALIDATE_SITE_URL: site.origin } }
}

const sent = () => api!.invalidations().flatMap((call) => (call.body as { srcImages: string[] }).srcImages)

describe('image-invalidate check-remote', () => {
  it('over runs: nothing changed, nothing sent; a change sent once, not at the next run; then another change', async () => {
    origin = await startImageOrigin()
    origin.set('/a.png', 'a, first', 'etag')
    origin.set('/b.png', 'b, first', 'last-modified')
    origin.set('/c.png', 'c, first', 'none')
    const { dir, urls, env } = await liveDeployment(['/a.png', '/b.png', '/c.png'])
    const check = () => run(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'check-remote', '--state', 'state.json', '--json'], { cwd: dir, env })
    const reportOf = (result: { stdout: string }) => JSON.parse(result.stdout) as CheckRemoteReport

    const unchanged = await check()
    expect(unchanged.code, unchanged.output).toBe(0)
    expect(reportOf(unchanged)).toMatchObject({ ok: true, checked: 3, changed: [], invalidated: [] })
    expect(sent()).toEqual([])

    origin.set('/a.png', 'a, second', 'etag')
    origin.set('/c.png', 'c, second', 'none')
    const changed = await check()
    expect(changed.code, changed.output).toBe(0)
    expect(reportOf(changed)).toMatchObject({ ok: true, changed: [urls[0], urls[2]], invalidated: [urls[0], urls[2]] })
    expect(sent().sort()).toEqual([urls[0], urls[2]])

    // The same bytes at the next run: the state says they were sent; the manifest alone would say "changed".
    const again = await check()
    expect(reportOf(again)).toMatchObject({ ok: true, changed: [], invalidated: [] })
    expect(sent()).toHaveLength(2)

    origin.set('/b.png', 'b, second', 'last-modified')
    const third = await check()
    expect(reportOf(third)).toMatchObject({ changed: [urls[1]], invalidated: [urls[1]] })
    expect(sent().sort()).toEqual([urls[0], urls[1], urls[2]])
    expect(JSON.stringify(reportOf(third))).not.toContain(TOKEN)
  })

  it('without a live deployment to read: one sentence saying what to pass, exit 1, nothing kept', async () => {
    const dir = await tempDir()
    const result = await run(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'check-remote', '--state', 'state.json', '--dry-run'], { cwd: dir })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('error: no live deployment to check: pass --site URL or --manifest URL|FILE (or set IMAGE_INVALIDATE_SITE_URL)\n')
  })

  it('the route for a Vercel Cron Job: refuses a request without the secret, then keeps its state in the store it is given', async () => {
    origin = await startImageOrigin()
    origin.set('/a.png', 'a, first', 'etag')
    const { urls, env } = await liveDeployment(['/a.png'])
    const kept = new Map<string, unknown>()
    const store: RemoteStateStore = { get: async (key) => kept.get(key) ?? null, set: async (key, value) => void kept.set(key, value) }
    const handler = createRemoteCheckHandler({ store, env: { ...env, CRON_SECRET: 'cron-secret' } })
    const request = (authorization?: string) => new Request('https://example.com/api/check-remote', { headers: authorization ? { authorization } : {} })

    expect((await handler(request())).status).toBe(401)
    expect((await handler(request('Bearer wrong-secret'))).status).toBe(401)
    expect(origin.stats.requests).toBe(1) // the fingerprint taken for the manifest, nothing since
    expect((await createRemoteCheckHandler({ store, env })(request('Bearer cron-secret'))).status).toBe(503)

    origin.set('/a.png', 'a, second', 'etag')
    const first = await handler(request('Bearer cron-secret'))
    expect(first.status).toBe(200)
    expect(await first.json()).toMatchObject({ ok: true, changed: urls, invalidated: urls })
    const second = await handler(request('Bearer cron-secret'))
    expect(await second.json()).toMatchObject({ ok: true, changed: [], invalidated: [] })
    expect(sent()).toEqual(urls)
  })

  it("the route logs each run in one line by default, and scrubs every secret from it and its answer, where Vercel's error text echoes the token", async () => {
    const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    origin = await startImageOrigin()
    origin.set('/a.png', 'a, first', 'etag')
    const { urls, env } = await liveDeployment(['/a.png'])
    const secrets = { CRON_SECRET: 'cron_ROUTE_0123456789', VERCEL_AUTOMATION_BYPASS_SECRET: 'bypass_ROUTE_0123456789' }
    const kept = new Map<string, unknown>()
    const store: RemoteStateStore = { get: async (key) => kept.get(key) ?? null, set: async (key, value) => void kept.set(key, value) }
    const handler = createRemoteCheckHandler({ store, env: { ...env, ...secrets } })
    const request = () => new Request('https://example.com/api/check-remote', { headers: { authorization: `Bearer ${secrets.CRON_SECRET}` } })

    origin.set('/a.png', 'a, second', 'etag')
    const echo = (authorization: string | undefined) => ({
      error: {
        code: 'forbidden',
        message: `token ${authorization} lacks scope (cron ${secrets.CRON_SECRET}, bypass ${secrets.VERCEL_AUTOMATION_BYPASS_SECRET})`,
      },
    })
    api!.injectFaults([{ status: 403, body: echo }])
    const failed = await handler(request())
    const text = await failed.text()
    expect(failed.status).toBe(500)
    expect(JSON.parse(text).failed[0]).toMatchObject({
      srcImage: urls[0],
      reason: expect.stringContaining('token Bearer [redacted] lacks scope (cron [redacted], bypass [redacted])'),
    })
    expect(errors.mock.calls.map(([line]) => String(line))).toEqual([
      expect.stringMatching(
        /^\[image-invalidate\] check-remote route checked 1, changed 1, sent 0, failed 1; first failure: .*token Bearer \[redacted\] lacks scope/,
      ),
    ])

    const again = await handler(request())
    expect(again.status).toBe(200)
    expect(printed.mock.calls.map(([line]) => String(line))).toEqual(['[image-invalidate] check-remote route checked 1, changed 1, sent 1, failed 0'])
    const lines = [...errors.mock.calls, ...printed.mock.calls].map(([line]) => String(line))
    for (const output of [text, ...lines]) for (const secret of [TOKEN, ...Object.values(secrets)]) expect(output).not.toContain(secret)
  })
})
