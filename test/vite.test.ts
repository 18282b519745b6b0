import { appendFile, copyFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Manifest } from '../src/core/manifest.js'
import { DEFAULT_PLAN_FILE } from '../src/shared/environment.js'
import { copyFixture, repoRoot, viteBuild, withServer, type Fixture } from './helpers/fixture.js'
import { startSite, type SiteStandIn } from './stand-ins/site.mjs'

const FIXTURE_IMAGES = [
  '/avatar.png',
  '/icons/LOGO.PNG',
  '/icons/mark.svg',
  '/images/café/crème brûlée.png',
  '/images/hero.png',
  '/images/my photo.png',
  '/images/nested/deep/banner.png',
]

let fixture: Fixture | undefined
let site: SiteStandIn | undefined
afterEach(async () => {
  await site?.close()
  await fixture?.remove()
  site = fixture = undefined
})

const summaryLines = (output: string) => output.split('\n').filter((line) => line.includes('[image-invalidate]') && line.includes('hashed in'))

describe('vite build', () => {
  it('writes the manifest and the local plan on a first build, with nothing to invalidate', async () => {
    fixture = await copyFixture('vite-app')
    // A production site that serves no manifest yet: HTTP 404 at the default baseline URL.
    site = await startSite()
    const result = await viteBuild(fixture, { IMAGE_INVALIDATE: '1', IMAGE_INVALIDATE_SITE_URL: site.origin })
    expect(result.code, result.output).toBe(0)
    const manifest = await fixture.readJson<Manifest>('dist/_image-invalidate.json')
    expect(Object.keys(manifest.images)).toEqual(FIXTURE_IMAGES)
    expect(manifest).toMatchObject({ version: 1, algorithm: 'sha256', basePath: '', plan: { baseline: null, srcImages: [] } })
    expect(manifest.buildId).toMatch(/^build_/)
    expect(await fixture.readJson(DEFAULT_PLAN_FILE)).toEqual(manifest)
    expect(summaryLines(result.output)).toHaveLength(1)
    expect(result.output).toContain('a first deploy: nothing to invalidate')
  })

  it('plans exactly the changed and removed images against the live deployment', { tags: ['floor'] }, async () => {
    fixture = await copyFixture('vite-app')
    const first = await viteBuild(fixture, { VERCEL_ENV: 'production', VERCEL_DEPLOYMENT_ID: 'dpl_first' })
    expect(first.code, first.output).toBe(0)
    const live = fixture.path('live')
    await rename(fixture.path('dist'), live)
    site = await startSite({ dir: live })

    const pub = (name: string) => fixture!.path('public', name)
    await appendFile(pub('images/hero.png'), Buffer.from([0])) // changed
    await rm(pub('avatar.png')) // removed
    await writeFile(pub('images/new.png'), 'new') // added: nothing cached yet
    await rename(pub('images/my photo.png'), pub('images/my picture.png')) // renamed: the old name is stale
    await utimes(pub('icons/mark.svg'), new Date(), new Date(Date.now() + 60_000)) // touched: same bytes
    await copyFile(pub('icons/LOGO.PNG'), pub('icons/LOGO.tmp'))
    await rename(pub('icons/LOGO.tmp'), pub('icons/LOGO.PNG')) // rewritten with the same bytes

    const second = await viteBuild(fixture, {
      VERCEL_ENV: 'production',
      VERCEL_DEPLOYMENT_ID: 'dpl_second',
      IMAGE_INVALIDATE_SITE_URL: site.origin,
    })
    expect(second.code, second.output).toBe(0)
    const manifest = await fixture.readJson<Manifest>('dist/_image-invalidate.json')
    expect(manifest.buildId).toBe('dpl_second')
    expect(manifest.plan).toEqual({ baseline: 'dpl_first', srcImages: ['/avatar.png', '/images/hero.png', '/images/my photo.png'] })
    expect(Object.keys(manifest.images)).toContain('/images/my picture.png')
    expect(summaryLines(second.output)).toEqual([
      expect.stringContaining('vs dpl_first: 1 changed, 2 removed, 2 added -> 3 source images to invalidate in 1 call'),
    ])
    // The baseline was asked for fresh, past any cache.
    expect(site.requests.map((request) => request.headers['cache-control'])).toEqual(['no-cache'])
  })

  it('puts Vite `base` into every source image', async () => {
    fixture = await copyFixture('vite-app')
    expect((await viteBuild(fixture, {}, ['--base=/app/'])).code).toBe(0)
    await copyFile(fixture.path('dist/_image-invalidate.json'), fixture.path('baseline.json'))
    await appendFile(fixture.path('public/images/my photo.png'), 'x')
    const result = await viteBuild(fixture, { IMAGE_INVALIDATE_BASELINE: 'baseline.json' }, ['--base=/app/'])
    expect(result.code, result.output).toBe(0)
    const manifest = await fixture.readJson<Manifest>('dist/_image-invalidate.json')
    expect(manifest.basePath).toBe('/app')
    expect(manifest.plan.srcImages).toEqual(['/app/images/my photo.png'])
  })

  it('says once, naming the basePath option, that a relative Vite base leaves the URL prefix unknown', async () => {
    fixture = await copyFixture('vite-app')
    const result = await viteBuild(fixture, {}, ['--base=./'])
    expect(result.code, result.output).toBe(0)
    const warnings = result.output.split('\n').filter((line) => line.includes('is relative or a full URL'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('Vite base "./" is relative or a full URL, so the URL prefix of the images is unknown')
    expect(warnings[0]).toContain("set the basePath option (e.g. basePath: '/docs')")
  })

  it('does nothing at all with IMAGE_INVALIDATE=0', async () => {
    fixture = await copyFixture('vite-app')
    const result = await viteBuild(fixture, { IMAGE_INVALIDATE: '0', VERCEL_ENV: 'production' })
    expect(result.code, result.output).toBe(0)
    expect(existsSync(fixture.path('dist/index.html'))).toBe(true)
    expect(existsSync(fixture.path('dist/_image-invalidate.json'))).toBe(false)
    expect(existsSync(fixture.path(DEFAULT_PLAN_FILE))).toBe(false)
    expect(result.output).not.toContain('[image-invalidate]')
  })

  it('warns about a bad baseline, plans nothing, and the build goes on; strict mode fails it', async () => {
    fixture = await copyFixture('vite-app')
    await writeFile(
      fixture.path('bad.json'),
      JSON.stringify({ version: 1, algorithm: 'sha256', buildId: 'x', createdAt: '2026-01-01', basePath: '', images: { '../../etc/passwd': {} }, plan: {} }),
    )
    const lenient = await viteBuild(fixture, { IMAGE_INVALIDATE_BASELINE: 'bad.json' })
    expect(lenient.code, lenient.output).toBe(0)
    expect(lenient.output).toContain(
      `baseline ${fixture.path('bad.json')} has an image key "../../etc/passwd" that is not an absolute path: nothing planned for this build`,
    )
    expect((await fixture.readJson<Manifest>('dist/_image-invalidate.json')).plan).toEqual({ baseline: null, srcImages: [] })

    await writeFile(
      fixture.path('vite.config.js'),
      `import imageInvalidate from 'unplugin-image-invalidate/vite'\nexport default { plugins: [imageInvalidate({ strict: true })] }\n`,
    )
    const strict = await viteBuild(fixture, { IMAGE_INVALIDATE_BASELINE: 'bad.json' })
    expect(strict.code).not.toBe(0)
    expect(strict.output).toContain('has an image key "../../etc/passwd" that is not an absolute path: nothing planned for this build (strict mode)')
  })

  it('runs once in a build of several environments, in the client one', async () => {
    fixture = await copyFixture('vite-app')
    await writeFile(fixture.path('src/entry-server.js'), 'export const render = () => "<main></main>"\n')
    await writeFile(
      fixture.path('vite.config.js'),
      `import imageInvalidate from 'unplugin-image-invalidate/vite'
export default {
  plugins: [imageInvalidate()],
  builder: {},
  environments: {
    client: { build: { outDir: 'dist/client' } },
    ssr: { build: { outDir: 'dist/server', rollupOptions: { input: 'src/entry-server.js' } } },
  },
}
`,
    )
    const result = await viteBuild(fixture, { IMAGE_INVALIDATE_BASELINE: 'none.json' })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toMatch(/building ssr environment/)
    expect(summaryLines(result.output)).toHaveLength(1)
    expect(Object.keys((await fixture.readJson<Manifest>('dist/client/_image-invalidate.json')).images)).toEqual(FIXTURE_IMAGES)
    expect(existsSync(fixture.path('dist/server/_image-invalidate.json'))).toBe(false)
  })

  it('never runs in the dev server', async () => {
    fixture = await copyFixture('vite-app')
    let output = ''
    await withServer(
      [path.join(repoRoot, 'node_modules/vite/bin/vite.js'), '--port', '0', '--strictPort=false'],
      { cwd: fixture.dir, env: { IMAGE_INVALIDATE: '1', IMAGE_INVALIDATE_BASELINE: 'none.json' }, startMs: 30_000 },
      async (url, printed) => {
        const page = await fetch(url)
        expect(page.status).toBe(200)
        const image = await fetch(new URL('/images/hero.png', url))
        expect(image.status).toBe(200)
        output = printed()
      },
    )
    expect(output).not.toContain('[image-invalidate]')
    expect(existsSync(fixture.path(DEFAULT_PLAN_FILE))).toBe(false)
    await expect(stat(fixture.path('dist'))).rejects.toThrow(/ENOENT/)
  })
})
