import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { copyFixtureInstalled, repoRoot, run, type Fixture } from '../helpers/fixture.js'
import type { Manifest } from '../../src/core/manifest.js'
import { buildOnceAndCheck, FRAMEWORK_IMAGES } from '../helpers/framework-scenario.js'
import { fingerprintRemoteImages } from '../../src/shared/remote-fingerprints.js'
import { startImageOrigin, type ImageOrigin } from '../stand-ins/image-origin.mjs'
import { startVercelApi, type VercelApiStandIn } from '../stand-ins/vercel-api.mjs'

let fixture: Fixture | undefined
let origin: ImageOrigin | undefined
let api: VercelApiStandIn | undefined
afterEach(async () => {
  await Promise.all([fixture?.remove(), origin?.close(), api?.close()])
  fixture = origin = api = undefined
})

const astroBuild = (fixture: Fixture, output: string) => (env: Record<string, string>) =>
  run(process.execPath, [path.join(repoRoot, 'node_modules/astro/bin/astro.mjs'), 'build'], {
    cwd: fixture.dir,
    env: { ASTRO_TELEMETRY_DISABLED: '1', FIXTURE_ASTRO_OUTPUT: output, ...env },
  })

// Astro 7 (and @astrojs/vercel 11) need Node >= 22.12: on an older Node (the engines floor) these tests are
// skipped, and say why, instead of failing on what Astro refuses.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const astroRuns = major > 22 || (major === 22 && minor >= 12)

describe.skipIf(!astroRuns)(astroRuns ? 'Astro 7' : `Astro 7 (skipped: it needs Node >= 22.12, this is ${process.version})`, () => {
  // A page with no client script, Astro's default: Astro starts no client Vite build, so only an
  // integration sees the build. @astrojs/vercel serves public files at the root of the deployment.
  it('Astro, server output with @astrojs/vercel: the manifest deployed in .vercel/output/static, the plan exact', async () => {
    fixture = await copyFixtureInstalled('astro-app')
    const { output: log } = await buildOnceAndCheck(fixture, {
      build: astroBuild(fixture, 'server'),
      served: '.vercel/output/static/_image-invalidate.json',
      basePath: '',
    })
    expect(log).toContain('2 source images to invalidate in 1 call')
  })

  // The same build also shows the remote images of the fixture's /remote page, served through Vercel's
  // optimizer (/_vercel/image) from a loopback origin: the live deployment recorded the photo's old
  // fingerprint, the origin now sends other bytes, and the flip sends that URL with the public images.
  it('Astro, static output with @astrojs/vercel: the plan exact, public and remote images; the flip sends both', async () => {
    fixture = await copyFixtureInstalled('astro-app')
    origin = await startImageOrigin()
    const photo = origin.url('/photos/photo.png')
    origin.set('/photos/photo.png', 'photo, first bytes', 'etag')
    origin.set('/photos/plain.png', 'plain bytes', 'etag')
    const live = await fingerprintRemoteImages([photo], { budgetMs: 5_000, requestTimeoutMs: 2_000, concurrency: 1, allowLocalIP: true })
    origin.set('/photos/photo.png', 'photo, other bytes', 'etag')
    const build = astroBuild(fixture, 'static')
    const { manifest, output: log } = await buildOnceAndCheck(fixture, {
      build: (env) => build({ ...env, FIXTURE_REMOTE_ORIGIN: origin!.origin }),
      served: '.vercel/output/static/_image-invalidate.json',
      basePath: '',
      remote: { live: { version: 1, images: live.fingerprints }, planned: [photo] },
    })
    const page = await readFile(fixture.path('.vercel/output/static/remote/index.html'), 'utf8')
    expect(page).toContain(`/_vercel/image?url=${encodeURIComponent(photo)}`)
    expect(Object.keys(manifest.remote!.images)).toEqual([photo])
    expect(origin.requestsFor('/photos/plain.png')).toBe(0)
    expect(log).toContain('remote: 1 changed, 0 no longer shown -> 3 source images to invalidate in 1 call')
    // The page is prerendered in static output: it ships without a script, so no client build ran.
    expect(await readFile(fixture.path('.vercel/output/static/index.html'), 'utf8')).not.toContain('<script')

    api = await startVercelApi({ token: 'tok_ASTRO_REMOTE_9z8y', projectId: 'prj_1' })
    const cli = fixture.path('node_modules/unplugin-image-invalidate/dist/cli.js')
    const plan = fixture.path('.vercel/output/static/_image-invalidate.json')
    const applied = await run(process.execPath, [cli, 'apply', '--plan', plan, '--from', 'live-manifest.json', '--no-wait', '--json'], {
      cwd: fixture.dir,
      env: { VERCEL_TOKEN: 'tok_ASTRO_REMOTE_9z8y', VERCEL_PROJECT_ID: 'prj_1', IMAGE_INVALIDATE_API_URL: api.origin },
    })
    expect(applied.code, applied.output).toBe(0)
    expect(JSON.parse(applied.stdout)).toMatchObject({ planned: ['/avatar.png', '/images/hero.png', '/images/new.png'], plannedRemote: [photo] })
    expect(api.invalidations().flatMap((call) => (call.body as { srcImages: string[] }).srcImages)).toEqual([
      '/avatar.png',
      '/images/hero.png',
      '/images/new.png',
      photo,
    ])
  })

  it('Astro with base /docs and @astrojs/vercel: public files are deployed at the root, and so keyed', async () => {
    fixture = await copyFixtureInstalled('astro-app')
    const config = await readFile(fixture.path('astro.config.mjs'), 'utf8')
    await writeFile(fixture.path('astro.config.mjs'), config.replace('defineConfig({', "defineConfig({ base: '/docs',"))
    const result = await astroBuild(fixture, 'static')({ IMAGE_INVALIDATE: '1' })
    expect(result.code, result.output).toBe(0)
    expect(existsSync(fixture.path('.vercel/output/static/avatar.png'))).toBe(true)
    const served = await fixture.readJson<Manifest>('.vercel/output/static/_image-invalidate.json')
    expect(served.basePath).toBe('')
    expect(Object.keys(served.images)).toEqual(FRAMEWORK_IMAGES)
  })
})
