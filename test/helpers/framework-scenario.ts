import { appendFile, copyFile, rm, utimes, writeFile } from 'node:fs/promises'
import { expect } from 'vitest'
import type { Manifest } from '../../src/core/manifest.js'
import type { Fixture, RunResult } from './fixture.js'

/** The images of every framework fixture, as keys below the public folder. */
export const FRAMEWORK_IMAGES = ['/avatar.png', '/icons/mark.svg', '/images/hero.png', '/images/my photo.png']

/**
 * The check every framework gets: a first production build deploys a manifest, where that framework's
 * Vercel output serves it, listing exactly the fixture's images under the URLs they are served at; then one
 * image changed, one removed, one added, one touched, and a second build with the first manifest as its
 * baseline plans exactly the changed and the removed one.
 */
export async function buildTwiceAndCheck(
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
  },
): Promise<{ first: Manifest; second: Manifest; outputs: string[] }> {
  const pub = (name: string) => fixture.path(options.publicDir ?? 'public', name)
  const firstRun = await options.build({ IMAGE_INVALIDATE: '1' })
  expect(firstRun.code, firstRun.output).toBe(0)
  const first = await fixture.readJson<Manifest>(options.served)
  expect(Object.keys(first.images)).toEqual(FRAMEWORK_IMAGES)
  expect(first.basePath).toBe(options.basePath)

  const live = fixture.path('live-manifest.json')
  await copyFile(fixture.path(options.served), live)
  await appendFile(pub('images/hero.png'), Buffer.from([0])) // changed
  await rm(pub('avatar.png')) // removed
  await writeFile(pub('images/new.png'), 'new') // added
  await utimes(pub('icons/mark.svg'), new Date(), new Date(Date.now() + 60_000)) // touched
  const secondRun = await options.build({ IMAGE_INVALIDATE_BASELINE: live })
  expect(secondRun.code, secondRun.output).toBe(0)
  const second = await fixture.readJson<Manifest>(options.served)
  expect(Object.keys(second.images)).toEqual(['/icons/mark.svg', '/images/hero.png', '/images/my photo.png', '/images/new.png'])
  expect(second.plan).toEqual({ baseline: first.buildId, srcImages: [`${options.basePath}/avatar.png`, `${options.basePath}/images/hero.png`] })
  return { first, second, outputs: [firstRun.output, secondRun.output] }
}
