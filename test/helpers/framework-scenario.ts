import { appendFile, rm, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'vitest'
import { resolveBuildOptions } from '../../src/plugin/options.js'
import { computePlan } from '../../src/plugin/plan-build.js'
import { serializeManifest, type Manifest } from '../../src/core/manifest.js'
import type { RemoteImages } from '../../src/core/remote-images.js'
import type { Fixture, RunResult } from './fixture.js'

/** The images of every framework fixture, as keys below the public folder. */
export const FRAMEWORK_IMAGES = ['/avatar.png', '/icons/mark.svg', '/images/hero.png', '/images/my photo.png']

/**
 * The check every framework gets, with one production build: one image changed, one removed, one added,
 * one touched since the live deployment, whose manifest is the one the core makes of the fixture's images
 * (what a first build writes: the Vite test shows it with two real builds, the Next.js export test with a
 * first one); the build deploys a manifest where that framework's Vercel output serves it, listing exactly
 * the images under the URLs they are served at, and planning exactly the changed and the removed one.
 */
export async function buildOnceAndCheck(
  fixture: Fixture,
  options: {
    /** Runs one production build with these extra variables. */
    build: (env: Record<string, string>) => Promise<RunResult>
    /** Where the deployment serves its manifest, relative to the fixture: `.vercel/output/static/docs/_image-invalidate.json`. */
    served: string
    /** The folder the framework serves at the root of its URLs (`public`, SvelteKit's `static`). */
    publicDir?: string
    /** The URL prefix of the public files in this deployment. */
    basePath: string
    /** Remote images the live deployment recorded, and those the build must then plan (their fingerprints changed). */
    remote?: { live: RemoteImages; planned: string[] }
  },
): Promise<{ manifest: Manifest; output: string }> {
  const publicDir = fixture.path(options.publicDir ?? 'public')
  const pub = (name: string) => path.join(publicDir, name)
  const liveOptions = { enabled: true, baseline: false as const, buildId: 'live', cache: false, publicDir, basePath: options.basePath }
  const live = await computePlan(resolveBuildOptions(liveOptions, { root: fixture.dir }), { info() {}, warn() {} })
  expect(Object.keys(live.manifest.images)).toEqual(FRAMEWORK_IMAGES)
  const liveFile = fixture.path('live-manifest.json')
  await writeFile(liveFile, serializeManifest({ ...live.manifest, ...(options.remote ? { remote: options.remote.live } : {}) }))

  await appendFile(pub('images/hero.png'), Buffer.from([0])) // changed
  await rm(pub('avatar.png')) // removed
  await writeFile(pub('images/new.png'), 'new') // added
  await utimes(pub('icons/mark.svg'), new Date(), new Date(Date.now() + 60_000)) // touched
  const run = await options.build({ IMAGE_INVALIDATE_BASELINE: liveFile })
  expect(run.code, run.output).toBe(0)
  const manifest = await fixture.readJson<Manifest>(options.served)
  expect(Object.keys(manifest.images)).toEqual(['/icons/mark.svg', '/images/hero.png', '/images/my photo.png', '/images/new.png'])
  expect(manifest.basePath).toBe(options.basePath)
  expect(manifest.plan).toEqual({
    baseline: 'live',
    srcImages: [`${options.basePath}/avatar.png`, `${options.basePath}/images/hero.png`],
    ...(options.remote ? { remoteSrcImages: options.remote.planned } : {}),
  })
  return { manifest, output: run.output }
}
