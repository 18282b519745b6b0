import { copyFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Manifest } from '../../src/core/manifest.js'
import type { ApplyReport } from '../../src/types.js'
import { copyFixtureInRepo, nextBuild, run, type Fixture } from '../helpers/fixture.js'
import { startImageOrigin, type ImageOrigin } from '../stand-ins/image-origin.mjs'
import { startSite, type SiteStandIn } from '../stand-ins/site.mjs'
import { startVercelApi, type VercelApiStandIn } from '../stand-ins/vercel-api.mjs'

const TOKEN = 'tok_REMOTE_NEXT_7a6b5c4d'
let fixture: Fixture | undefined
let origin: ImageOrigin | undefined
let api: VercelApiStandIn | undefined
let site: SiteStandIn | undefined
afterEach(async () => {
  await Promise.all([fixture?.remove(), origin?.close(), api?.close(), site?.close()])
  fixture = origin = api = site = undefined
})

describe('remote images through next build', () => {
  // Build ids that are no Vercel deployment's (dpl_…): the flip is seen on the site, not through the API.
  // Two real builds of the fixture's /remote page, whose images come from a loopback origin the test starts:
  // the first writes P's manifest, the origin's bytes of one image change, the second writes D's (and
  // asks the unchanged ones conditionally); `apply --plan D.json --from P.json`, as the acceptance runs it,
  // sends that one URL and nothing else. One origin never answers: each build ends, with one warning.
  it(
    'records the allowed remote images with their fingerprints, and the flip sends exactly the one whose bytes changed',
    { tags: ['long-build'] },
    async () => {
      fixture = await copyFixtureInRepo('next-app')
      origin = await startImageOrigin()
      origin.set('/photos/photo.png', 'photo, first bytes', 'etag')
      origin.set('/photos/banner%201.png', 'banner bytes', 'last-modified')
      origin.set('/photos/slow.png', '', 'hang')
      origin.set('/photos/outside.png', 'outside bytes', 'etag')
      origin.set('/photos/plain.png', 'plain bytes', 'etag')
      const env = { FIXTURE_REMOTE_ORIGIN: origin.origin, IMAGE_INVALIDATE: '1' }
      const photo = origin.url('/photos/photo.png')
      const banner = origin.url('/photos/banner 1.png')
      const slow = origin.url('/photos/slow.png')

      const first = await nextBuild(fixture, { ...env, VERCEL_DEPLOYMENT_ID: 'build_P' })
      expect(first.code, first.output).toBe(0)
      const previous = await fixture.readJson<Manifest>('public/_image-invalidate.json')
      // Under the URL the page wrote in src (a space, not %20); the disallowed host and the plain <img> not at all.
      expect(Object.keys(previous.remote!.images)).toEqual([banner, photo])
      expect(previous.remote!.images[photo]).toEqual({ etag: expect.stringMatching(/^"[0-9a-f]{16}"$/) })
      expect(previous.remote!.images[banner]).toEqual({ lastModified: expect.stringMatching(/GMT$/), size: 'banner bytes'.length })
      expect(previous.remote!.unfingerprinted).toEqual([slow])
      expect(origin.requestsFor('/photos/outside.png') + origin.requestsFor('/photos/plain.png')).toBe(0)
      expect(first.output).toMatch(/2 remote images fingerprinted in \d+ ms \(budget 5000 ms, 1 not fingerprinted, 1 not allowed by next.config images\)/)
      expect(first.output.match(/could not fingerprint/g)).toHaveLength(1)
      // A first build: no fingerprint was known of it before, so none is carried.
      expect(first.output).toContain(`could not fingerprint 1 remote image, recorded with the baseline's fingerprint where it had one`)
      expect(first.output).toContain(`the next build or check-remote compares it again): ${slow}`)
      // The local plan file `apply` reads by default holds the same manifest.
      expect(await fixture.readJson('node_modules/.cache/unplugin-image-invalidate/plan.json')).toEqual(previous)
      const flips = fixture.path('flips')
      await mkdir(flips)
      await copyFile(fixture.path('public/_image-invalidate.json'), path.join(flips, 'P.json'))

      origin.set('/photos/photo.png', 'photo, other bytes', 'etag')
      const notModifiedBefore = origin.stats.notModified
      const second = await nextBuild(fixture, { ...env, VERCEL_DEPLOYMENT_ID: 'build_D', IMAGE_INVALIDATE_BASELINE: path.join(flips, 'P.json') })
      expect(second.code, second.output).toBe(0)
      const next = await fixture.readJson<Manifest>('public/_image-invalidate.json')
      expect(next.remote!.images[banner]).toEqual(previous.remote!.images[banner])
      expect(next.remote!.images[photo]).not.toEqual(previous.remote!.images[photo])
      // The banner was asked with If-Modified-Since and answered 304: no bytes.
      expect(origin.stats.notModified - notModifiedBefore).toBe(1)
      expect(next.plan).toEqual({ baseline: 'build_P', srcImages: [], remoteSrcImages: [photo] })
      expect(second.output).toContain('remote: 1 changed, 0 no longer shown -> 1 source image to invalidate in 1 call')
      await copyFile(fixture.path('public/_image-invalidate.json'), path.join(flips, 'D.json'))
      // `plan` reads the pages of this last build and lists the remote images apart.
      const cli = fixture.path('node_modules/unplugin-image-invalidate/dist/cli.js')
      const planned = await run(process.execPath, [cli, 'plan', '--baseline', path.join(flips, 'P.json')], { cwd: fixture.dir })
      expect(planned.code, planned.output).toBe(0)
      expect(planned.stdout).toContain(`remote: 1 changed, 0 no longer shown -> 1 source image to invalidate in 1 call`)
      expect(planned.stdout.endsWith(`\n  remote ${photo}\n`)).toBe(true)

      // The flip P -> D, seen on the production site (it serves D already), as the acceptance runs it.
      api = await startVercelApi({ token: TOKEN, projectId: 'prj_1' })
      site = await startSite({ dir: fixture.path('public') })
      const cliEnv = { VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: 'prj_1', IMAGE_INVALIDATE_API_URL: api.origin, IMAGE_INVALIDATE_SITE_URL: site.origin }
      const dryRun = await run(process.execPath, [cli, 'apply', '--plan', 'D.json', '--from', 'P.json', '--dry-run', '--json'], { cwd: flips, env: cliEnv })
      expect(dryRun.code, dryRun.output).toBe(0)
      expect(JSON.parse(dryRun.stdout)).toMatchObject({ planned: [], plannedRemote: [photo], invalidated: [] })
      expect(dryRun.stderr).toContain(`would invalidate remote ${photo}`)
      expect(api.invalidations()).toEqual([])

      const applied = await run(process.execPath, [cli, 'apply', '--plan', 'D.json', '--from', 'P.json'], { cwd: flips, env: cliEnv })
      expect(applied.code, applied.output).toBe(0)
      expect(api.invalidations().map((call) => call.body)).toEqual([{ srcImages: [photo] }])
      const json = await run(process.execPath, [cli, 'apply', '--plan', 'D.json', '--from', 'P.json', '--no-wait', '--json'], { cwd: flips, env: cliEnv })
      const report = JSON.parse(json.stdout) as ApplyReport
      expect(report).toMatchObject({ ok: true, planned: [], plannedRemote: [photo], invalidated: [photo] })
    },
  )
})
