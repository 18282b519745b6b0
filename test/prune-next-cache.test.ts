import { copyFile, rm, utimes, writeFile } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { computePlan } from '../src/build/plan-build.js'
import { serializeManifest, type Manifest } from '../src/core/manifest.js'
import { resolveBuildOptions } from '../src/build/options.js'
import { SERVED_MANIFEST_FILE } from '../src/next-image-cache/prune-command.js'
import { copyFixtureInRepo, freePort, nextBuild, nextCommand, run, withServer, type Fixture } from './helpers/fixture.js'
import { cacheEntries, fetchVariant, writePng } from './helpers/next-images.js'

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

async function start(fixture: Fixture, use: (origin: string) => Promise<void>): Promise<void> {
  const port = String(await freePort())
  await withServer(nextCommand('start', '--hostname', '127.0.0.1', '--port', port), { cwd: fixture.dir, env: { NEXT_TELEMETRY_DISABLED: '1' } }, use)
}

/** The command as a user's entrypoint runs it: the installed package's bin, in the project. */
const pruneNextCache = (fixture: Fixture, ...args: string[]) =>
  run(process.execPath, [fixture.path('node_modules/unplugin-image-invalidate/dist/cli.js'), 'prune-next-cache', ...args], { cwd: fixture.dir })

const IMAGES = ['/images/hero.png', '/images/my photo.png', '/images/team/avatar.png']

describe('image-invalidate prune-next-cache', () => {
  it('removes from a cache next start filled exactly the entries of the flip, then records the release', async () => {
    fixture = await copyFixtureInRepo('next-app')
    const cache = fixture.path('.next/cache/images')
    const build = await nextBuild(fixture)
    expect(build.code, build.output).toBe(0)
    await copyFile(fixture.path('public/_image-invalidate.json'), fixture.path('previous.json'))

    // Each image at two widths, as a page would ask: six entries, two per image.
    const entriesOf: Record<string, string[]> = {}
    await start(fixture, async (origin) => {
      for (const src of IMAGES) {
        const before = await cacheEntries(cache)
        await fetchVariant(origin, src)
        await fetchVariant(origin, src, '', 32)
        entriesOf[src] = (await cacheEntries(cache)).filter((entry) => !before.includes(entry))
        expect(entriesOf[src], src).toHaveLength(2)
      }
    })

    // The next release: hero.png has other bytes, avatar.png is gone, my photo.png was only touched. Its
    // manifest is what its build would write into public/ (one build less: `next start` serves public/ from
    // disk, and the first test of next.test.ts shows a build writes the manifest computePlan makes).
    await writePng(fixture.path('public/images/hero.png'), 40, 30, { r: 200, g: 30, b: 30 })
    await rm(fixture.path('public/images/team/avatar.png'))
    await utimes(fixture.path('public/images/my photo.png'), new Date(), new Date())
    const next = await computePlan(resolveBuildOptions({ enabled: true, baseline: false, buildId: 'build_next', cache: false }, { root: fixture.dir }), { info() {}, warn() {} })
    await writeFile(fixture.path('public/_image-invalidate.json'), serializeManifest(next.manifest))

    const pruned = await pruneNextCache(fixture, '--from', 'previous.json')
    expect(pruned.code, pruned.output).toBe(0)
    expect(pruned.stdout).toBe(
      '/images/hero.png: 2 cached variants removed\n/images/team/avatar.png: 2 cached variants removed\n' +
        'removed 4 cached variants from .next/cache/images, looking for the 2 source images of the flip\n',
    )
    expect(await cacheEntries(cache)).toEqual(entriesOf['/images/my photo.png'])
    const served = await fixture.readJson<Manifest>('.next/cache', SERVED_MANIFEST_FILE)
    expect(served).toEqual(await fixture.readJson<Manifest>('public/_image-invalidate.json'))

    await start(fixture, async (origin) => {
      expect(await fetchVariant(origin, '/images/hero.png')).toMatchObject({ width: 40, height: 30, cache: 'MISS' })
      expect((await fetchVariant(origin, '/images/my photo.png')).cache).toBe('HIT')
    })

    // The same release started again: P is the manifest recorded at the last prune, and nothing changed.
    const again = await pruneNextCache(fixture, '--json')
    expect(again.code, again.output).toBe(0)
    const report = JSON.parse(again.stdout) as { previous: { via: string }; srcImages: string[]; total: number }
    expect(report.previous.via).toContain('the manifest recorded at the last prune')
    expect(report).toMatchObject({ srcImages: [], total: 0 })
    // my photo.png's two entries, and hero.png's new one.
    expect(await cacheEntries(cache)).toHaveLength(3)
    // One `next build` and two `next start`: 37 s alone on two quiet cores; beside the whole suite on this
    // machine shared with other suites, 57 s at a load average of 6 and 95 s at 14. 240 s leaves 2.5x.
  }, 240_000)
})
