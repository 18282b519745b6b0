// @module-tag floor
import { existsSync } from 'node:fs'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { planBuild } from '../src/plugin/plan-build.js'
import { StrictModeError } from '../src/plugin/strict-mode-error.js'
import { hashFiles } from '../src/core/hash.js'
import { createManifest, serializeManifest } from '../src/core/manifest.js'
import { resolveBuildOptions } from '../src/plugin/options.js'
import type { Options } from '../src/types.js'
import { tempDir } from './helpers/tmp.js'
import { startSite } from './stand-ins/site.mjs'

function logger() {
  const lines: string[] = []
  return { lines, info: (line: string) => lines.push(`info ${line}`), warn: (line: string) => lines.push(`warn ${line}`) }
}

/** A project whose live manifest lists `a.png` and `b.png` as they are now. */
async function project() {
  const root = await tempDir({ 'public/a.png': 'a', 'public/b.png': 'b' })
  const pub = (name: string) => path.join(root, 'public', name)
  const { digests } = await hashFiles(['a.png', 'b.png'].map((name) => ({ key: `/${name}`, absolutePath: pub(name) })))
  await writeFile(
    path.join(root, 'live.json'),
    serializeManifest(createManifest({ buildId: 'dpl_live', basePath: '', images: digests, plan: { baseline: null, srcImages: [] } })),
  )
  const resolve = (options: Options = {}) => resolveBuildOptions({ baseline: 'live.json', ...options }, { root, env: {} })
  return { root, pub, resolve }
}

describe('planBuild', () => {
  it('plans an image it cannot read if the live deployment has it, warns, and leaves it out of the manifest', async () => {
    const { root, pub, resolve } = await project()
    await writeFile(pub('b.png'), 'B')
    // a.png becomes a dangling link: it cannot be read, so it cannot be shown to be unchanged.
    await rm(pub('a.png'))
    await symlink(path.join(root, 'gone.png'), pub('a.png'))
    const log = logger()
    const result = await planBuild(resolve(), [path.join(root, 'dist')], log)
    expect(result!.manifest.plan.srcImages).toEqual(['/a.png', '/b.png'])
    expect(Object.keys(result!.manifest.images)).toEqual(['/b.png'])
    expect(log.lines).toContainEqual(
      'warn [image-invalidate] could not read 1 image, left out of the manifest and invalidated if the live deployment has them: ' +
        '/a.png (ENOENT: no such file or directory)',
    )
  })

  it('fails in strict mode instead, and only then', async () => {
    const { root, pub, resolve } = await project()
    await symlink(path.join(root, 'gone.png'), pub('c.png'))
    await expect(planBuild(resolve({ strict: true }), [], logger())).rejects.toThrow(StrictModeError)
  })

  it('warns about an explicitly given baseline that does not exist, naming it and who gave it; strict fails', async () => {
    const { root } = await project()
    for (const [options, env, givenBy] of [
      [{ baseline: 'live-typo.json' }, {}, 'the baseline option'],
      [{}, { IMAGE_INVALIDATE_BASELINE: 'live-typo.json' }, 'IMAGE_INVALIDATE_BASELINE'],
    ] as const) {
      const log = logger()
      const result = await planBuild(resolveBuildOptions(options, { root, env }), [], log)
      expect(result!.manifest.plan).toEqual({ baseline: null, srcImages: [] })
      const typo = path.join(root, 'live-typo.json')
      expect(log.lines).toContain(`warn [image-invalidate] baseline ${typo}, given by ${givenBy}, was not found (no such file): nothing planned for this build`)
      expect(log.lines.some((line) => line.includes('a first deploy'))).toBe(false)
      await expect(planBuild(resolveBuildOptions({ ...options, strict: true }, { root, env }), [], logger())).rejects.toThrow(
        /live-typo\.json, given by .* was not found .*\(strict mode\)/,
      )
    }
  })

  it('takes a 404 at the default production URL as a first deploy, also in strict mode', async () => {
    const { root } = await project()
    const site = await startSite()
    try {
      const log = logger()
      const result = await planBuild(
        resolveBuildOptions({ strict: true }, { root, env: { VERCEL_ENV: 'production', VERCEL_PROJECT_PRODUCTION_URL: site.origin } }),
        [],
        log,
      )
      expect(result!.manifest.plan).toEqual({ baseline: null, srcImages: [] })
      expect(log.lines.join('\n')).toContain(`no baseline at ${site.origin}/_image-invalidate.json (HTTP 404), a first deploy: nothing to invalidate`)
    } finally {
      await site.close()
    }
  })

  it('never lists its own manifest, whatever include says', async () => {
    const { root, resolve } = await project()
    const first = await planBuild(resolve({ include: '**/*' }), [path.join(root, 'public')], logger())
    expect(Object.keys(first!.manifest.images)).toEqual(['/a.png', '/b.png'])
    const second = await planBuild(resolve({ include: '**/*' }), [path.join(root, 'public')], logger())
    expect(Object.keys(second!.manifest.images)).toEqual(['/a.png', '/b.png'])
    expect(second!.manifest.plan.srcImages).toEqual([])
  })
})

describe('hostile public folders and a dead production site', () => {
  it('keeps the warning for 50 unreadable files readable: a few names and a count, all 50 in the plan', async () => {
    const { root, pub, resolve } = await project()
    for (let i = 0; i < 50; i++) await symlink(path.join(root, `gone-${i}.png`), pub(`broken-${String(i).padStart(2, '0')}.png`))
    const log = logger()
    const result = await planBuild(resolve(), [path.join(root, 'dist')], log)
    const warning = log.lines.find((line) => line.includes('could not read'))!
    expect(warning).toMatch(/could not read 50 images, left out of the manifest .*: \/broken-00\.png \(ENOENT: no such file or directory\), /)
    expect(warning).toMatch(/, \/broken-04\.png \(ENOENT: no such file or directory\) and 45 more$/)
    expect(warning.length).toBeLessThan(1000)
    expect(log.lines.every((line) => line.length < 1000)).toBe(true)
    expect(result!.manifest.plan.unreadable).toHaveLength(50)
    expect(result!.unreadable).toHaveLength(50)
  })

  it('gives up on a baseline server that accepts and never answers within the budget, and the build goes on', async () => {
    const { root } = await project()
    const sockets = new Set<Socket>()
    const hung = createServer((socket) => sockets.add(socket))
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/_image-invalidate.json`
      const log = logger()
      const started = Date.now()
      const result = await planBuild(resolveBuildOptions({ baseline: url, baselineTimeoutMs: 3_000 }, { root, env: {} }), [path.join(root, 'dist')], log)
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(result!.manifest.plan).toEqual({ baseline: null, srcImages: [] })
      const gaveUp = log.lines.find((line) => line.includes('gave no complete answer'))
      expect(gaveUp).toMatch(/^warn \[image-invalidate\] baseline http:.* gave no complete answer within 3(\.0)? s /)
      expect(gaveUp).toMatch(/ s \(the baselineTimeoutMs option\): nothing planned for this build$/)
      // The wait is told apart from the hashing (two tiny files: well under the 3 s budget, even on a loaded machine).
      const summary = log.lines.find((line) => line.includes('hashed in'))!
      expect(summary).toMatch(/hashed in \d+ ms, baseline fetched in \d+ ms alongside/)
      expect(result!.durationMs).toBeLessThan(result!.baselineMs!)
      expect(result!.baselineMs).toBeGreaterThanOrEqual(2_900)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => hung.close(resolve))
    }
  })

  it('gives the baseline fetch 10 s by default (baselineTimeoutMs)', () => {
    expect(resolveBuildOptions({}, { root: '/project', env: {} }).baselineTimeoutMs).toBe(10_000)
  })
})

describe('the digest cache', () => {
  it('makes an unchanged rebuild read no image: every digest reused, nothing planned, the baseline asked for once', async () => {
    const { root, resolve } = await project()
    // Files changed less than 2 s before the cache is written are not kept (they could change again within the
    // clock's tick): the package's clock is moved 10 s on, rather than waiting for the files to age.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 10_000, shouldAdvanceTime: true })
    const site = await startSite({ dir: path.join(root, 'first') })
    try {
      const first = await planBuild(resolve({ cache: true, baseline: false }), [path.join(root, 'first')], logger())
      expect(first).toMatchObject({ reused: 0, bytesHashed: 2 })
      const baseline = `${site.origin}/_image-invalidate.json`
      const second = await planBuild(resolve({ cache: true, baseline }), [path.join(root, 'second')], logger())
      expect(second).toMatchObject({ reused: 2, bytesHashed: 0 })
      expect(second!.manifest.plan).toEqual({ baseline: first!.manifest.buildId, srcImages: [] })
      expect(second!.manifest.images).toEqual(first!.manifest.images)
      expect(site.requests.map((request) => request.url.split('?')[0])).toEqual(['/_image-invalidate.json'])
    } finally {
      vi.useRealTimers()
      await site.close()
    }
  })

  it('is only a speed-up: when it cannot be written, the plan and manifest are still made', async () => {
    const { root, resolve } = await project()
    // A file where the cache's folder should be.
    await writeFile(path.join(root, 'not-a-folder'), '')
    const log = logger()
    const result = await planBuild({ ...resolve(), cacheFile: path.join(root, 'not-a-folder/hashes.json') }, [path.join(root, 'dist')], log)
    expect(result!.manifest.plan.baseline).toBe('dpl_live')
    expect(existsSync(path.join(root, 'dist/_image-invalidate.json'))).toBe(true)
    expect(log.lines).toContainEqual(
      expect.stringMatching(/^warn \[image-invalidate\] could not keep the digest cache \(.*\); the next build hashes every image$/),
    )
  })
})

describe('a build whose pages come after its hook (Next.js)', () => {
  it('writes the manifest into the output at once, and the local plan only when the deferred work runs: a build that fails before leaves none', async () => {
    const { root } = await project()
    let deferred: (() => Promise<void>) | undefined
    const defer = (work: () => Promise<void>) => void (deferred = work)
    const options = resolveBuildOptions({ baseline: 'live.json' }, { root, env: {}, remote: { dirs: [path.join(root, 'pages')], defer } })
    const output = path.join(root, 'public')
    const log = logger()
    await planBuild(options, [output], log)
    expect(existsSync(path.join(output, '_image-invalidate.json'))).toBe(true)
    expect(existsSync(options.planFile)).toBe(false)
    expect(log.lines).toEqual([])
    // The build ends well: the rest runs, the plan is written, the one line said.
    await deferred!()
    expect(existsSync(options.planFile)).toBe(true)
    expect(log.lines).toEqual([expect.stringMatching(/^info \[image-invalidate\] 2 images/)])
  })
})
