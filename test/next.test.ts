import { createHmac } from 'node:crypto'
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { serializeManifest, type Manifest } from '../src/core/manifest.js'
import { computePlan } from '../src/plugin/plan-build.js'
import { resolveBuildOptions } from '../src/plugin/options.js'
import { DEFAULT_PLAN_FILE } from '../src/shared/environment.js'
import { wrapNextConfig, hasAfterCompileHook } from '../src/plugin/next.js'
import { SERVED_MANIFEST_FILE } from '../src/next-image-cache/prune-command.js'
import { loadCacheNaming, type ImagesConfigInput } from '../src/next-image-cache/naming.js'
import { copyFixtureInRepo, freePort, nextBuild, nextCommand, run, withServer, type Fixture } from './helpers/fixture.js'
import { cacheEntries, fetchVariant, writePng, type Rgb } from './helpers/next-images.js'

const NEXT_IMAGES = ['/images/hero.png', '/images/my photo.png', '/images/team/avatar.png', '/logo.svg']
/** What next/image optimizes (SVG is served as it is). */
const OPTIMIZED_IMAGES = ['/images/hero.png', '/images/my photo.png', '/images/team/avatar.png']

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

const config = (body: string) => `import { withImageInvalidate } from 'unplugin-image-invalidate/next'\n${body}\n`

const RED: Rgb = { r: 200, g: 30, b: 30 }

/** `next start` on 127.0.0.1 and a free port, for the length of `use`. */
async function start(fixture: Fixture, use: (origin: string) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
  const port = String(await freePort())
  await withServer(nextCommand('start', '--hostname', '127.0.0.1', '--port', port), { cwd: fixture.dir, env: { NEXT_TELEMETRY_DISABLED: '1', ...env } }, use)
}

/** The command as a user's entrypoint runs it: the installed package's bin, in the project. */
const pruneNextCache = (fixture: Fixture, ...args: string[]) =>
  run(process.execPath, [fixture.path('node_modules/unplugin-image-invalidate/dist/cli.js'), 'prune-next-cache', ...args], { cwd: fixture.dir })

describe('next build', () => {
  // One build of the release that changes two images, against the live release's manifest as the core makes
  // it of the fixture (the export test below shows a first build writes that manifest). `next start` fills
  // Next.js's own image cache from the live release's bytes, as the release before it would have left it;
  // then `prune-next-cache` removes exactly the flip's variants.
  it(
    "with Turbopack: plans the changed and removed images, basePath included, keeps the user's hook; prune-next-cache removes exactly their cached variants",
    { tags: ['long-build'] },
    async () => {
      fixture = await copyFixtureInRepo('next-app')
      await writeFile(
        fixture.path('next.config.mjs'),
        config(`import { writeFile } from 'node:fs/promises'
export default withImageInvalidate(async () => ({
  basePath: '/docs',
  poweredByHeader: false,
  compiler: {
    async runAfterProductionCompile({ projectDir, distDir }) {
      await writeFile(projectDir + '/user-hook-ran.txt', distDir)
    },
  },
}))`),
      )
      const live = await computePlan(
        resolveBuildOptions({ enabled: true, baseline: false, buildId: 'dpl_live', basePath: '/docs', cache: false }, { root: fixture.dir }),
        { info() {}, warn() {} },
      )
      await writeFile(fixture.path('live.json'), serializeManifest(live.manifest))
      const liveBytes = await Promise.all(OPTIMIZED_IMAGES.map((key) => readFile(fixture!.path(`public${key}`))))

      // The new release: one image with other bytes, one gone.
      await writePng(fixture.path('public/images/my photo.png'), 40, 30, RED)
      await rm(fixture.path('public/images/team/avatar.png'))
      const built = await nextBuild(fixture, { IMAGE_INVALIDATE_BASELINE: 'live.json' })
      expect(built.code, built.output).toBe(0)
      const manifest = await fixture.readJson<Manifest>('public/_image-invalidate.json')
      expect(built.output).toContain('(Turbopack)')
      expect(manifest.basePath).toBe('/docs')
      expect(manifest.plan).toEqual({ baseline: 'dpl_live', srcImages: ['/docs/images/my photo.png', '/docs/images/team/avatar.png'] })
      expect(await fixture.readJson(DEFAULT_PLAN_FILE)).toEqual(manifest)
      expect(await readFile(fixture.path('user-hook-ran.txt'), 'utf8')).toMatch(/\.next$/)
      expect(built.output).toContain('vs dpl_live')

      // `next start` with the live release's images in public/: the webhook route loads the package at run
      // time, and each image at two widths fills the image cache, two entries per image, from the old bytes.
      const newPhoto = await readFile(fixture.path('public/images/my photo.png'))
      await Promise.all(OPTIMIZED_IMAGES.map((key, i) => writeFile(fixture!.path(`public${key}`), liveBytes[i]!)))
      const cache = fixture.path('.next/cache/images')
      const entriesOf: Record<string, string[]> = {}
      await start(
        fixture,
        async (origin) => {
          const route = new URL('/docs/api/image-invalidate', origin)
          const body = JSON.stringify({ id: 'evt', type: 'deployment.created', payload: {} })
          expect((await fetch(route, { method: 'POST', body })).status).toBe(401)
          const signature = createHmac('sha1', 'whsec').update(body).digest('hex')
          const ignored = await fetch(route, { method: 'POST', body, headers: { 'x-vercel-signature': signature } })
          expect(await ignored.json()).toEqual({ ok: true, action: 'ignored', reason: 'event deployment.created is not handled' })
          for (const key of OPTIMIZED_IMAGES) {
            const before = await cacheEntries(cache)
            const variant = await fetchVariant(origin, `/docs${key}`, '/docs')
            await fetchVariant(origin, `/docs${key}`, '/docs', 32)
            entriesOf[key] = (await cacheEntries(cache)).filter((entry) => !before.includes(entry))
            expect(entriesOf[key], key).toHaveLength(2)
            expect(variant.width, `${key} is the live release's picture, not the red 40x30 one`).not.toBe(40)
          }
        },
        { IMAGE_INVALIDATE_WEBHOOK_SECRET: 'whsec' },
      )
      await writeFile(fixture.path('public/images/my photo.png'), newPhoto)
      await rm(fixture.path('public/images/team/avatar.png'))

      // The keys this real Next.js wrote are among those the naming gives for each image, with the config
      // the build resolved (what prune-next-cache reads): the naming checked against Next.js itself.
      const { config: resolved } = await fixture.readJson<{ config: ImagesConfigInput }>('.next/required-server-files.json')
      const naming = loadCacheNaming(fixture.dir, { images: resolved.images, basePath: resolved.basePath }, false)
      if ('problem' in naming) throw new Error(naming.problem)
      for (const key of OPTIMIZED_IMAGES) {
        const written = entriesOf[key]!.map((entry) => entry.split('/')[0]!)
        expect(naming.keysOf(`/docs${key}`), key).toEqual(expect.arrayContaining(written))
      }

      // Before `next start` serves the new release: exactly the variants of the flip's images go, hero.png's stay.
      const pruned = await pruneNextCache(fixture, '--from', 'live.json')
      expect(pruned.code, pruned.output).toBe(0)
      expect(pruned.stdout).toBe(
        '/docs/images/my photo.png: 2 cached variants removed\n/docs/images/team/avatar.png: 2 cached variants removed\n' +
          'removed 4 cached variants from .next/cache/images, looking for the 2 source images changed, removed or added since dpl_live\n',
      )
      expect(await cacheEntries(cache)).toEqual(entriesOf['/images/hero.png'])
      expect(await fixture.readJson<Manifest>('.next/cache', SERVED_MANIFEST_FILE)).toEqual(manifest)
      await start(fixture, async (origin) => {
        expect(await fetchVariant(origin, '/docs/images/my photo.png', '/docs')).toMatchObject({ width: 40, height: 30, cache: 'MISS' })
        expect((await fetchVariant(origin, '/docs/images/hero.png', '/docs')).cache).toBe('HIT')
      })
      // The same release started again: P is the manifest recorded at the last prune, and nothing changed.
      const again = await pruneNextCache(fixture, '--json')
      expect(again.code, again.output).toBe(0)
      const report = JSON.parse(again.stdout) as { previous: { via: string }; srcImages: string[]; total: number }
      expect(report.previous.via).toContain('the manifest recorded at the last prune')
      expect(report).toMatchObject({ srcImages: [], total: 0 })
    },
  )

  it('with --webpack: the same plan, from the same hook', { tags: ['long-build'] }, async () => {
    fixture = await copyFixtureInRepo('next-app')
    // One webpack build (about 35 s on two cores), against the live manifest as the core makes it.
    const live = await computePlan(resolveBuildOptions({ enabled: true, baseline: false, buildId: 'dpl_live', cache: false }, { root: fixture.dir }), {
      info() {},
      warn() {},
    })
    await writeFile(fixture.path('live.json'), serializeManifest(live.manifest))
    await appendFile(fixture.path('public/images/my photo.png'), Buffer.from([1]))
    await rm(fixture.path('public/images/team/avatar.png'))
    // The webhook route is the Turbopack test's: one page less to compile.
    await rm(fixture.path('app/api'), { recursive: true })
    const result = await nextBuild(fixture, { IMAGE_INVALIDATE_BASELINE: 'live.json' }, ['--webpack'])
    expect(result.code, result.output).toBe(0)
    expect(result.output).not.toContain('(Turbopack)')
    const manifest = await fixture.readJson<Manifest>('public/_image-invalidate.json')
    expect(manifest.plan).toEqual({ baseline: 'dpl_live', srcImages: ['/images/my photo.png', '/images/team/avatar.png'] })
  })

  // The Next.js build of the floor part: one `next build` (Turbopack), the config in TypeScript, a first
  // build (no baseline) that writes the manifest of every image.
  it('with output: "export" and a next.config.ts: the manifest is served from out/', { tags: ['floor'] }, async () => {
    fixture = await copyFixtureInRepo('next-app')
    // A static export has no server for the webhook route.
    await rm(fixture.path('app/api'), { recursive: true })
    await rm(fixture.path('next.config.mjs'))
    await writeFile(
      fixture.path('next.config.ts'),
      config(`import type { NextConfig } from 'next'
const nextConfig: NextConfig = { output: 'export', images: { unoptimized: true } }
export default withImageInvalidate(nextConfig, { buildId: 'export-build' })`),
    )
    // Planning asked for, but a static export has no optimizer: Vercel caches no variant, nothing is planned,
    // local or remote; the manifest still lists every image, for the builds that come after.
    const result = await nextBuild(fixture, { IMAGE_INVALIDATE: '1' })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain("nothing is optimized by Vercel (output: 'export'): nothing planned, local or remote")
    const served = await fixture.readJson<Manifest>('out/_image-invalidate.json')
    expect(served.buildId).toBe('export-build')
    expect(served.plan).toEqual({ baseline: null, srcImages: [] })
    expect(Object.keys(served.images)).toEqual(NEXT_IMAGES)
  })
})

describe('withImageInvalidate', () => {
  it('keeps every key of the user config and adds no webpack key on Next.js >= 15.4.1', async () => {
    const wrapped = wrapNextConfig({ basePath: '/x', images: { remotePatterns: [] }, experimental: {} }, {}, '16.4.6')
    expect(wrapped).toMatchObject({ basePath: '/x', images: { remotePatterns: [] }, experimental: {} })
    expect(wrapped).not.toHaveProperty('webpack')
    expect(typeof (wrapped as { compiler: { runAfterProductionCompile: unknown } }).compiler.runAfterProductionCompile).toBe('function')
  })

  it('on a Next.js before 15.4.1, outside the peer range, adds the same hook, leaves webpack alone, and says it plans nothing', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const userWebpack = (config: unknown) => config
      const wrapped = wrapNextConfig({ webpack: userWebpack as never }, {}, '15.3.2')
      expect(typeof (wrapped as { compiler: { runAfterProductionCompile: unknown } }).compiler.runAfterProductionCompile).toBe('function')
      // The user's own webpack function, untouched: no plugin of ours is added to it.
      expect((wrapped as { webpack: unknown }).webpack).toBe(userWebpack)
      expect(warn.mock.calls).toEqual([
        [expect.stringMatching(/^\[image-invalidate\] Next\.js 15\.3\.2 has no compiler\.runAfterProductionCompile.*: its builds write no manifest/)],
      ])
    } finally {
      warn.mockRestore()
    }
  })

  it.each([
    ['15.4.1', true],
    ['15.4.0', false],
    ['15.10.0', true],
    ['16.0.0-canary.3', true],
    ['14.2.30', false],
    [undefined, true],
  ])('knows whether Next.js %s has runAfterProductionCompile', (version, expected) => {
    expect(hasAfterCompileHook(version)).toBe(expected)
  })
})
